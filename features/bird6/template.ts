// The bird6 template (eta syntax), bundled as a string so rendering does no file I/O.
export const BIRD6_TEMPLATE = `# <%= it.provenance %>
log stderr { warning, error, info };
router id <%= it.routerId %>;

protocol kernel {
    learn;
    scan time 20;
    import all;
    # connected routes belong to the kernel already
    export where source != RTS_DEVICE;
}

protocol device {
    scan time 10;
}
<% if (it.direct) { -%>

protocol direct {
    interface <%= it.direct %>;
}
<% } -%>
<% if (it.peers.length) { -%>

filter bgp_out {
    if ! (source = RTS_DEVICE) then reject;
<% if (!it.rrClient) { -%>
    # unique local prefixes stay inside our AS
    if net ~ fc00::/7 then reject;
<% } -%>
<% for (const p of it.announced) { -%>
    if net = <%= p %> then accept;
<% } -%>
    reject;
}
<% for (const p of it.peers) { -%>

protocol bgp <%= p.name %> {
    local <%= p.source ? \`\${p.source} \` : '' %>as <%= it.asn %>;
    neighbor <%= p.neighbor %> as <%= it.neighborAsn %>;
<% if (p.ifname) { -%>
    interface "<%= p.ifname %>";
    # iBGP would default to multihop, which a link-local session cannot be
    direct;
<% } -%>
    import all;
    export filter bgp_out;
<% if (it.rrClient) { -%>
    rr client;
<% } -%>
}
<% } -%>
<% } -%>
<% if (it.radv.length) { -%>

protocol radv {
<% if (it.trigger) { -%>
    # high availability: a router advertises itself as default router only while it holds this route
    trigger <%= it.trigger %>;
    # the trigger is looked for among the routes exported to the protocol
    export where net = <%= it.trigger %>;
<% } -%>
<% for (const r of it.radv) { -%>
    interface "<%= r.ifname %>" {
        max ra interval 600;
        managed <%= r.managed ? 'yes' : 'no' %>;
        other config <%= r.other ? 'yes' : 'no' %>;
<% for (const p of r.prefixes) { -%>
        prefix <%= p.cidr %> {
            autonomous <%= p.autonomous ? 'on' : 'off' %>;
        };
<% } -%>
<% if (r.dns.length) { -%>
        rdnss local yes;
        rdnss {
            lifetime mult 10;
<% for (const d of r.dns) { -%>
            ns <%= d %>;
<% } -%>
        };
<% } -%>
    };
<% } -%>
}
<% } -%>
`;
