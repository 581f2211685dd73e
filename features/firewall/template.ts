// The iptables template (eta syntax), bundled as a string so rendering does no file I/O.
export const IPTABLES_TEMPLATE = `# <%= it.provenance %>
# IPv<%= it.family %> rules for <%= it.hostname %>, loaded with ip<%= it.family === 6 ? '6' : '' %>tables-restore.
<% for (const t of it.tables) { -%>
*<%= t.name %>
<% for (const c of t.chains) { -%>
:<%= c.name %> <%= c.policy %> [0:0]
<% } -%>
<% for (const line of t.lines) { -%>
<%= line %>
<% } -%>
COMMIT
<% } -%>
`;
