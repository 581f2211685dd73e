// The dnsmasq template (eta syntax), bundled as a string so rendering does no file I/O.
export const DNSMASQ_TEMPLATE = `# <%= it.provenance %>
# DHCP and DNS for the tenant networks. Changes to this file restart dnsmasq;
# the hosts and options files below are re-read on SIGHUP.
bind-dynamic
no-hosts
no-poll
domain-needed
bogus-priv
dhcp-authoritative
dhcp-lease-max=65536
dhcp-hostsfile=<%= it.paths.hostsFile %>
dhcp-optsfile=<%= it.paths.optsFile %>
<% for (const name of it.others) { -%>
except-interface=<%= name %>
<% } -%>
<% for (const t of it.tenants) { -%>
# network <%= t.id %>
interface=<%= t.ifname %>
<% for (const r of t.ranges) { -%>
<%= r %>
<% } -%>
<% } -%>
`;
