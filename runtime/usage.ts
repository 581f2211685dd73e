// The `appliance` command's help texts: one per command, and the summary
// `appliance --help` prints. runtime/cli.ts prints them; nothing else here.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;

export const COMMAND_USAGE: Record<string, string> = {
  serve: `usage: appliance serve [--listen HOST:PORT]... [--root DIR] [--status-target IP]...
                       [--metadata-connect-timeout-ms N] [--metadata-timeout-ms N]
                       [--metadata-rate-limit BURST/RATE|off]

Runs the agent: the REST API on every --listen address (none: it follows the
management address of the applied configuration), the daemons, the metadata proxy.

  --listen HOST:PORT            an address to serve the API on ([v6]:PORT for IPv6), repeatable
  --root DIR                    where the agent keeps its files (default /var/lib/appliance)
  --status-target IP            an address GET /v1/status pings, repeatable
  --metadata-connect-timeout-ms N
  --metadata-timeout-ms N       metadata proxy upstream timeouts, 1..600000 ms
  --metadata-rate-limit B/R|off metadata requests per client: burst B, R per second
`,
  plan: `usage: appliance plan --config FILE [--state DIR] [--root DIR]

Prints the plan a PUT of FILE would run, one line per step, against a simulated
host (nothing on this machine is touched).

  --config FILE   the configuration (JSON, as the orchestrator pushes it)
  --state DIR     an agent's root whose saved configuration is applied first
  --root DIR      the root the paths in the plan use (default /var/lib/appliance)
`,
  render: `usage: appliance render --config FILE --out DIR [--ifmap ge0=eth0,...]

Validates FILE and writes every file the agent would render under DIR.

  --config FILE        the configuration (JSON)
  --out DIR            where to write the rendered files
  --ifmap ge0=eth0,... generic to host interface names (default geN=ethN)
`,
  diff: `usage: appliance diff --from A.json --to B.json [--ifmap ge0=eth0,...]

A unified diff of every rendered file (firewall rules first) and of the plan
between two configurations, for reviewing a change.

  --from FILE          the configuration before
  --to FILE            the configuration after
  --ifmap ge0=eth0,... generic to host interface names (default geN=ethN)
`,
  'configure-management': `usage: appliance configure-management --mac MAC --address IP/PREFIX [--mtu N]

Brings up the management interface (found by its MAC) with one address, before
the first configuration arrives.

  --mac MAC            the management NIC's hardware address
  --address IP/PREFIX  the address to put on it
  --mtu N              its MTU
`,
  lab: `usage: appliance lab up [--payload FILE] [--prefix NAME]
       appliance lab status [--prefix NAME]
       appliance lab down [--prefix NAME]

A lab of network namespaces around a real agent (needs root).

  --payload FILE  the configuration to push once the lab is up
  --prefix NAME   the name prefix of the lab's namespaces (default lab)
`,
  image: `usage: appliance image build --out DIR [--cache DIR] [--mirror URL] [--rebuild-base] [--size MIB]
       appliance image deb --out DIR [--cache DIR]

Builds the appliance disk image (needs root) or only the Debian package.

  --out DIR        where to put the results
  --cache DIR      the build cache (default $APPLIANCE_IMAGE_CACHE or the built-in one)
  --mirror URL     the Debian mirror
  --rebuild-base   rebuild the cached base system
  --size MIB       the image size, at least 512
`,
};

export const USAGE = `usage: appliance <command> [options]

commands:
  serve                 run the agent (REST API, daemons, metadata proxy)
  plan                  the plan a configuration would run, against a simulated host
  render                write the files a configuration renders
  diff                  unified diff of rendered files and plan between two configurations
  configure-management  bring up the management interface
  lab                   a namespace lab around a real agent
  image                 build the disk image or the Debian package

  appliance <command> --help   the command's options
  appliance --version          the version
`;
