"""The variables mutt 2.2.12 and neomutt 20220429 know, each with its synonyms (``edit_hdrs``, neomutt's
``realname``...): a ``set``, ``unset``, ``reset`` or ``toggle`` of any other name (but ``my_NAME``, a user's own) is
an error in the client ("unknown variable"), which stops the command and skips the rest of its line.

Read from the clients themselves by ``tests/importers/test_muttrc_variables.py``, which fails while a name differs:
each name the client's ``-D`` prints, and each word of its binary that ``reset WORD`` takes without an error.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


MUTT = _names(
    """
    abort_noattach abort_noattach_regexp abort_nosubject abort_unmodified alias_file alias_format allow_8bit
    allow_ansi arrow_cursor ascii_chars askbcc askcc assumed_charset attach_charset attach_format
    attach_save_charset_convert attach_save_dir attach_sep attach_split attribution attribution_locale
    auto_subscribe auto_tag autoedit background_confirm_quit background_edit background_format beep beep_new bounce
    bounce_delivered braille_friendly browser_abbreviate_mailboxes browser_sticky_cursor certificate_file
    change_folder_next charset check_mbox_size check_new collapse_unread compose_confirm_detach_first compose_format
    config_charset confirmappend confirmcreate connect_timeout content_type copy copy_decode_weed count_alternatives
    crypt_autoencrypt crypt_autopgp crypt_autosign crypt_autosmime crypt_confirmhook crypt_opportunistic_encrypt
    crypt_opportunistic_encrypt_strong_keys crypt_protected_headers_read crypt_protected_headers_save
    crypt_protected_headers_subject crypt_protected_headers_write crypt_replyencrypt crypt_replysign
    crypt_replysignencrypted crypt_timestamp crypt_use_gpgme crypt_use_pka crypt_verify_sig cursor_overlay
    date_format default_hook delete delete_untag digest_collapse display_filter dotlock_program dsn_notify
    dsn_return duplicate_threads edit_hdrs edit_headers editor encode_from envelope_from envelope_from_address
    error_history escape fast_reply fcc_attach fcc_before_send fcc_clear fcc_delimiter flag_safe folder
    folder_format followup_to force_name forw_decode forw_decrypt forw_format forw_quote forward_attachments
    forward_attribution_intro forward_attribution_trailer forward_decode forward_decrypt forward_edit forward_format
    forward_quote from gecos_mask hdr_format hdrs header header_cache header_cache_compress header_color_partial
    help hidden_host hide_limited hide_missing hide_thread_subject hide_top_limited hide_top_missing history
    history_file history_remove_dups honor_disposition honor_followup_to hostname idn_decode idn_encode
    ignore_linear_white_space ignore_list_reply_to imap_authenticators imap_check_subscribed imap_condstore
    imap_deflate imap_delim_chars imap_fetch_chunk_size imap_headers imap_idle imap_keepalive imap_list_subscribed
    imap_login imap_oauth_refresh_command imap_pass imap_passive imap_peek imap_pipeline_depth imap_poll_timeout
    imap_qresync imap_servernoise imap_user implicit_autoview include include_encrypted include_onlyfirst indent_str
    indent_string index_format ispell keep_flagged local_date_header mail_check mail_check_recent mail_check_stats
    mail_check_stats_interval mailcap_path mailcap_sanitize maildir_check_cur maildir_header_cache_verify
    maildir_trash mark_macro_prefix mark_old markers mask mbox mbox_type menu_context menu_move_off menu_scroll
    message_cache_clean message_cachedir message_format message_id_format meta_key metoo mh_purge mh_seq_flagged
    mh_seq_replied mh_seq_unseen mime_forward mime_forward_decode mime_forward_rest mime_fwd mime_type_query_command
    mime_type_query_first mix_entry_format mixmaster move msg_format muttlisp_inline_eval narrow_tree net_inc
    new_mail_command pager pager_context pager_format pager_index_lines pager_skip_quoted_context pager_stop
    pattern_format pgp_auto_decode pgp_auto_traditional pgp_autoencrypt pgp_autoinline pgp_autosign pgp_check_exit
    pgp_check_gpg_decrypt_status_fd pgp_clearsign_command pgp_create_traditional pgp_decode_command
    pgp_decrypt_command pgp_decryption_okay pgp_default_key pgp_encrypt_only_command pgp_encrypt_sign_command
    pgp_entry_format pgp_export_command pgp_getkeys_command pgp_good_sign pgp_ignore_subkeys pgp_import_command
    pgp_list_pubring_command pgp_list_secring_command pgp_long_ids pgp_mime_auto pgp_replyencrypt pgp_replyinline
    pgp_replysign pgp_replysignencrypted pgp_retainable_sigs pgp_self_encrypt pgp_self_encrypt_as pgp_show_unusable
    pgp_sign_as pgp_sign_command pgp_sort_keys pgp_strict_enc pgp_timeout pgp_use_gpg_agent pgp_verify_command
    pgp_verify_key_command pgp_verify_sig pipe_decode pipe_decode_weed pipe_sep pipe_split pop_auth_try_all
    pop_authenticators pop_checkinterval pop_delete pop_host pop_last pop_oauth_refresh_command pop_pass
    pop_reconnect pop_user post_indent_str post_indent_string postpone postpone_encrypt postpone_encrypt_as
    postponed preconnect print print_cmd print_command print_decode print_decode_weed print_split prompt_after
    query_command query_format quit quote_regexp read_inc read_only realname recall record reflow_space_quotes
    reflow_text reflow_wrap reply_regexp reply_self reply_to resolve resume_draft_files resume_edited_draft_files
    reverse_alias reverse_name reverse_realname rfc2047_parameters save_address save_empty save_history save_name
    score score_threshold_delete score_threshold_flag score_threshold_read search_context send_charset
    send_multipart_alternative send_multipart_alternative_filter sendmail sendmail_wait shell sidebar_delim_chars
    sidebar_divider_char sidebar_folder_indent sidebar_format sidebar_indent_string sidebar_new_mail_only
    sidebar_next_new_wrap sidebar_relative_shortpath_indent sidebar_short_path sidebar_sort_method
    sidebar_use_mailbox_shortcuts sidebar_visible sidebar_width sig_dashes sig_on_top signature simple_search
    size_show_bytes size_show_fractions size_show_mb size_units_on_left sleep_time smart_wrap smileys
    smime_ask_cert_label smime_ca_location smime_certificates smime_decrypt_command smime_decrypt_use_default_key
    smime_default_key smime_encrypt_command smime_encrypt_with smime_get_cert_command smime_get_cert_email_command
    smime_get_signer_cert_command smime_import_cert_command smime_is_default smime_keys smime_pk7out_command
    smime_self_encrypt smime_self_encrypt_as smime_sign_as smime_sign_command smime_sign_digest_alg
    smime_sign_opaque_command smime_timeout smime_verify_command smime_verify_opaque_command smtp_authenticators
    smtp_oauth_refresh_command smtp_pass smtp_url sort sort_alias sort_aux sort_browser sort_browser_mailboxes
    sort_re sort_thread_groups spam_separator spoolfile ssl_ca_certificates_file ssl_ciphers ssl_client_cert
    ssl_force_tls ssl_min_dh_prime_bits ssl_starttls ssl_use_sslv3 ssl_use_tlsv1 ssl_use_tlsv1_1 ssl_use_tlsv1_2
    ssl_use_tlsv1_3 ssl_verify_dates ssl_verify_host ssl_verify_host_override status_chars status_format
    status_on_top strict_threads suspend text_flowed thorough_search thread_received tilde time_inc timeout tmpdir
    to_chars trash ts_enabled ts_icon_format ts_status_format tunnel tunnel_is_secure uncollapse_jump uncollapse_new
    use_8bitmime use_domain use_envelope_from use_from use_ipv6 user_agent visual wait_key weed wrap wrap_headers
    wrap_search wrapmargin write_bcc write_inc xterm_icon xterm_set_titles xterm_title
    """
)
NEOMUTT = _names(
    """
    abort_backspace abort_key abort_noattach abort_noattach_regex abort_noattach_regexp abort_nosubject
    abort_unmodified alias_file alias_format allow_8bit allow_ansi arrow_cursor arrow_string ascii_chars ask_bcc
    ask_cc ask_follow_up ask_x_comment_to askbcc askcc assumed_charset attach_charset attach_format attach_keyword
    attach_save_dir attach_save_without_prompting attach_sep attach_split attribution attribution_locale auto_edit
    auto_subscribe auto_tag autocrypt autocrypt_acct_format autocrypt_dir autocrypt_reply autoedit beep beep_new
    bounce bounce_delivered braille_friendly browser_abbreviate_mailboxes catchup_newsgroup certificate_file
    change_folder_next charset check_mbox_size check_new collapse_all collapse_flagged collapse_unread
    compose_format compose_show_user_headers config_charset confirm_append confirm_create confirmappend
    confirmcreate connect_timeout content_type copy copy_decode_weed count_alternatives crypt_auto_encrypt
    crypt_auto_pgp crypt_auto_sign crypt_auto_smime crypt_autoencrypt crypt_autopgp crypt_autosign crypt_autosmime
    crypt_chars crypt_confirm_hook crypt_confirmhook crypt_opportunistic_encrypt
    crypt_opportunistic_encrypt_strong_keys crypt_protected_headers_read crypt_protected_headers_save
    crypt_protected_headers_subject crypt_protected_headers_write crypt_reply_encrypt crypt_reply_sign
    crypt_reply_sign_encrypted crypt_replyencrypt crypt_replysign crypt_replysignencrypted crypt_timestamp
    crypt_use_gpgme crypt_use_pka crypt_verify_sig date_format debug_file debug_level default_hook delete
    delete_untag digest_collapse display_filter dsn_notify dsn_return duplicate_threads edit_headers editor
    empty_subject encode_from envelope_from envelope_from_address escape external_search_command fast_reply
    fcc_attach fcc_before_send fcc_clear flag_chars flag_safe folder folder_format followup_to followup_to_poster
    force_name forw_decode forw_decrypt forw_format forw_quote forward_attachments forward_attribution_intro
    forward_attribution_trailer forward_decode forward_decrypt forward_edit forward_format forward_quote
    forward_references from from_chars gecos_mask greeting group_index_format hdr_format hdrs header header_cache
    header_cache_backend header_cache_compress header_color_partial help hidden_host hidden_tags hide_limited
    hide_missing hide_thread_subject hide_top_limited hide_top_missing history history_file history_remove_dups
    honor_disposition honor_followup_to hostname idn_decode idn_encode ignore_linear_white_space
    ignore_list_reply_to imap_authenticators imap_check_subscribed imap_condstore imap_delim_chars
    imap_fetch_chunk_size imap_headers imap_idle imap_keepalive imap_list_subscribed imap_login
    imap_oauth_refresh_command imap_pass imap_passive imap_peek imap_pipeline_depth imap_poll_timeout imap_qresync
    imap_rfc5161 imap_server_noise imap_servernoise imap_user implicit_autoview include include_encrypted
    include_only_first include_onlyfirst indent_str indent_string index_format inews ispell keep_flagged
    local_date_header mail_check mail_check_recent mail_check_stats mail_check_stats_interval mailcap_path
    mailcap_sanitize maildir_check_cur maildir_header_cache_verify maildir_trash mark_macro_prefix mark_old markers
    mask mbox mbox_type me_too menu_context menu_move_off menu_scroll message_cache_clean message_cachedir
    message_format meta_key metoo mh_purge mh_seq_flagged mh_seq_replied mh_seq_unseen mime_forward
    mime_forward_decode mime_forward_rest mime_fwd mime_subject mime_type_query_command mime_type_query_first
    mix_entry_format mixmaster move msg_format narrow_tree net_inc new_mail_command news_cache_dir news_server
    newsgroups_charset newsrc nm_db_limit nm_default_uri nm_default_url nm_exclude_tags nm_flagged_tag
    nm_open_timeout nm_query_type nm_query_window_current_position nm_query_window_current_search
    nm_query_window_duration nm_query_window_enable nm_query_window_or_terms nm_query_window_timebase nm_record
    nm_record_tags nm_replied_tag nm_unread_tag nntp_authenticators nntp_context nntp_listgroup
    nntp_load_description nntp_pass nntp_poll nntp_user pager pager_context pager_format pager_index_lines
    pager_read_delay pager_skip_quoted_context pager_stop pattern_format pgp_auto_decode pgp_auto_inline
    pgp_auto_traditional pgp_autoencrypt pgp_autoinline pgp_autosign pgp_check_exit pgp_check_gpg_decrypt_status_fd
    pgp_clear_sign_command pgp_clearsign_command pgp_create_traditional pgp_decode_command pgp_decrypt_command
    pgp_decryption_okay pgp_default_key pgp_encrypt_only_command pgp_encrypt_self pgp_encrypt_sign_command
    pgp_entry_format pgp_export_command pgp_get_keys_command pgp_getkeys_command pgp_good_sign pgp_ignore_subkeys
    pgp_import_command pgp_list_pubring_command pgp_list_secring_command pgp_long_ids pgp_mime_auto pgp_reply_inline
    pgp_replyencrypt pgp_replyinline pgp_replysign pgp_replysignencrypted pgp_retainable_sigs pgp_self_encrypt
    pgp_self_encrypt_as pgp_show_unusable pgp_sign_as pgp_sign_command pgp_sort_keys pgp_strict_enc pgp_timeout
    pgp_use_gpg_agent pgp_verify_command pgp_verify_key_command pgp_verify_sig pipe_decode pipe_decode_weed pipe_sep
    pipe_split pop_auth_try_all pop_authenticators pop_check_interval pop_checkinterval pop_delete pop_host pop_last
    pop_oauth_refresh_command pop_pass pop_reconnect pop_user post_indent_str post_indent_string post_moderated
    postpone postpone_encrypt postpone_encrypt_as postponed preconnect preferred_languages print print_cmd
    print_command print_decode print_decode_weed print_split prompt_after query_command query_format quit
    quote_regex quote_regexp read_inc read_only real_name realname recall record reflow_space_quotes reflow_text
    reflow_wrap reply_regex reply_regexp reply_self reply_to reply_with_xorig resolve resume_draft_files
    resume_edited_draft_files reverse_alias reverse_name reverse_real_name reverse_realname rfc2047_parameters
    save_address save_empty save_history save_name save_unsubscribed score score_threshold_delete
    score_threshold_flag score_threshold_read search_context send_charset sendmail sendmail_wait shell
    show_multipart_alternative show_new_news show_only_unread sidebar_component_depth sidebar_delim_chars
    sidebar_divider_char sidebar_folder_indent sidebar_format sidebar_indent_string sidebar_new_mail_only
    sidebar_next_new_wrap sidebar_non_empty_mailbox_only sidebar_on_right sidebar_short_path sidebar_sort_method
    sidebar_visible sidebar_width sig_dashes sig_on_top signature simple_search size_show_bytes size_show_fractions
    size_show_mb size_units_on_left skip_quoted_offset sleep_time smart_wrap smileys smime_ask_cert_label
    smime_ca_location smime_certificates smime_decrypt_command smime_decrypt_use_default_key smime_default_key
    smime_encrypt_command smime_encrypt_self smime_encrypt_with smime_get_cert_command smime_get_cert_email_command
    smime_get_signer_cert_command smime_import_cert_command smime_is_default smime_keys smime_pk7out_command
    smime_self_encrypt smime_self_encrypt_as smime_sign_as smime_sign_command smime_sign_digest_alg smime_timeout
    smime_verify_command smime_verify_opaque_command smtp_authenticators smtp_oauth_refresh_command smtp_pass
    smtp_url smtp_user sort sort_alias sort_aux sort_browser sort_re spam_separator spool_file spoolfile
    ssl_ca_certificates_file ssl_ciphers ssl_client_cert ssl_force_tls ssl_min_dh_prime_bits ssl_starttls
    ssl_use_sslv3 ssl_use_tlsv1 ssl_use_tlsv1_1 ssl_use_tlsv1_2 ssl_use_tlsv1_3 ssl_verify_dates ssl_verify_host
    status_chars status_format status_on_top strict_threads suspend text_flowed thorough_search thread_received
    tilde time_inc timeout tmpdir to_chars toggle_quoted_show_levels trash ts_enabled ts_icon_format
    ts_status_format tunnel tunnel_is_secure uncollapse_jump uncollapse_new use_8bit_mime use_8bitmime use_domain
    use_envelope_from use_from use_ipv6 use_threads user_agent vfolder_format virtual_spool_file virtual_spoolfile
    visual wait_key weed wrap wrap_headers wrap_search write_bcc write_inc x_comment_to xterm_icon xterm_set_titles
    xterm_title
    """
)
