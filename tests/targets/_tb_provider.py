"""Thunderbird 153's own readers of the provider-side documents, run in a headless Thunderbird.

- autoconfig: ``readFromXML`` (resource:///modules/accountcreation/readFromXML.sys.mjs), the function
  Thunderbird calls on every config-v1.1.xml it fetches (FetchConfig.sys.mjs: ``DOMParser``, then
  ``JXON.build``, then ``readFromXML``), followed by ``AccountConfig.replaceVariables``, which fills in
  the username placeholders for an address as the account wizard does;
- Autodiscover: ``readAutoDiscoverXML`` (ExchangeAutoDiscover.sys.mjs). The module does not export it
  (only ``fetchConfigFromExchange``, which needs HTTPS on autodiscover.DOMAIN), so the function's own
  text is read from the installed omni.ja at run time and evaluated, unchanged, in a system-principal
  sandbox that holds the two modules it uses (AccountConfig, InputSanitizer): Thunderbird's code, not
  a copy of it.

A document ``readFromXML`` refuses gives ``{"error": its message}``; one it reads gives the provider's ``id``,
``displayName`` and ``domains``. Both return, per server, what Thunderbird stored: type, hostname, port,
socketType and auth as the names of Thunderbird's ``nsMsgSocketType`` / ``nsMsgAuthMethod`` constants,
username, and POP3's leave-on-server settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.targets._marionette import run_thunderbird

SCRIPT = r"""
const [autoconfigs, autodiscovers] = arguments;
const { readFromXML } = ChromeUtils.importESModule("resource:///modules/accountcreation/readFromXML.sys.mjs");
const { JXON } = ChromeUtils.importESModule("resource:///modules/JXON.sys.mjs");
const { AccountConfig } = ChromeUtils.importESModule("resource:///modules/accountcreation/AccountConfig.sys.mjs");
const { InputSanitizer } = ChromeUtils.importESModule("resource:///modules/accountcreation/InputSanitizer.sys.mjs");
const { NetUtil } = ChromeUtils.importESModule("resource://gre/modules/NetUtil.sys.mjs");
const SOCKETS = ["plain", "trySTARTTLS", "alwaysSTARTTLS", "SSL"];
const AUTHS = ["none", "old", "passwordCleartext", "passwordEncrypted", "GSSAPI", "NTLM", "External", "secure",
               "anything", "OAuth2"];
const named = (table, names, value) => names.find(n => table[n] === value) || String(value);
const server = s => ({
  type: s.type, hostname: s.hostname, port: s.port, username: s.username,
  socketType: named(Ci.nsMsgSocketType, SOCKETS, s.socketType),
  auth: named(Ci.nsMsgAuthMethod, AUTHS, s.auth),
  leaveMessagesOnServer: s.leaveMessagesOnServer === undefined ? null : s.leaveMessagesOnServer,
  daysToLeaveMessagesOnServer: s.daysToLeaveMessagesOnServer === undefined ? null : s.daysToLeaveMessagesOnServer,
});
const parse = text => JXON.build(new DOMParser().parseFromString(text, "text/xml"));
const servers = c => ({
  incoming: [c.incoming, ...c.incomingAlternatives].map(server),
  outgoing: [c.outgoing, ...c.outgoingAlternatives].map(server),
});
const out = {autoconfig: [], autodiscover: []};
for (const [text, address] of autoconfigs) {
  let c;
  try {
    c = readFromXML(parse(text), "disk");
  } catch (e) {  // the whole file refused, as FetchConfig refuses it
    out.autoconfig.push({error: String(e?.message ?? e)});
    continue;
  }
  const read = {id: c.id, displayName: c.displayName, domains: c.domains, raw: servers(c)};
  AccountConfig.replaceVariables(c, "Real Name", address, null);
  read.filled = servers(c);
  read.filledDisplayName = c.displayName;
  out.autoconfig.push(read);
}
const stream = NetUtil.newChannel({
  uri: "resource:///modules/accountcreation/ExchangeAutoDiscover.sys.mjs", loadUsingSystemPrincipal: true,
}).open();
const source = NetUtil.readInputStreamToString(stream, stream.available(), {charset: "UTF-8"});
const start = source.indexOf("\nfunction readAutoDiscoverXML(");
const end = source.indexOf("\n}\n", start) + 3;
if (start < 0 || end < 3) throw new Error("readAutoDiscoverXML not found in ExchangeAutoDiscover.sys.mjs");
const sandbox = Cu.Sandbox(Services.scriptSecurityManager.getSystemPrincipal());
sandbox.lazy = {AccountConfig, InputSanitizer, l10n: {formatValueSync: id => id}};
sandbox.Ci = Ci;
sandbox.console = console;
Cu.evalInSandbox(source.slice(start, end) + "\nthis.readAutoDiscoverXML = readAutoDiscoverXML;", sandbox);
for (const [text, address] of autodiscovers) {
  const c = sandbox.readAutoDiscoverXML(parse(text), null);
  const read = servers(c);
  read.complete = c.isComplete();  // readAutoDiscoverResponse throws "Only an incomplete config found" if not
  if (address) {  // as the account wizard does with every configuration it finds, Autodiscover's included
    AccountConfig.replaceVariables(c, "Real Name", address, null);
    read.filled = servers(c);
  }
  out.autodiscover.push(read);
}
return out;
"""


def read_with_thunderbird(
    autoconfigs: Sequence[tuple[bytes, str]] = (), autodiscovers: Sequence[bytes | tuple[bytes, str]] = ()
) -> dict[str, Any]:
    """What Thunderbird's readers make of each document: ``autoconfigs`` are (document, the address whose
    placeholders are filled in); ``autodiscovers`` are responses, or (response, address): then ``filled`` says
    what the servers are once the wizard has filled in that address. One headless Thunderbird for all."""
    documents = [[doc.decode("utf-8"), address] for doc, address in autoconfigs]
    responses = [
        [d.decode("utf-8"), None] if isinstance(d, bytes) else [d[0].decode("utf-8"), d[1]] for d in autodiscovers
    ]
    args = [documents, responses]
    result: dict[str, Any] = run_thunderbird({}, SCRIPT, args=args)
    return result
