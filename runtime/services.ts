// The supervised services of a router: dnsmasq and bird6 as child daemons,
// the metadata proxy inside the agent's process.
import { readFile, stat } from 'node:fs/promises';
import type { ServiceFact } from '../handlers/facts.ts';
import { FILES } from '../renderers/index.ts';
import type { MetadataTable } from '../schema/model.ts';
import type { Host } from './host.ts';
import type { Logger } from './log.ts';
import { MetadataProxy, type MetadataProxyOptions } from './metadata/proxy.ts';
import type { RootPaths } from './paths.ts';
import { Daemon } from './supervisor.ts';

const exists = (file: string) =>
  stat(file).then(
    () => true,
    () => false,
  );

export class Services {
  readonly dnsmasq: Daemon;
  readonly bird6: Daemon;
  readonly metadata: MetadataProxy;
  private metadataApplied = false;

  constructor(
    private readonly paths: RootPaths,
    log: Logger,
    metadataOptions: Partial<MetadataProxyOptions> = {},
  ) {
    const conf = paths.file(FILES.dnsmasqConf);
    this.dnsmasq = new Daemon(
      {
        name: 'dnsmasq',
        argv: () => [
          'dnsmasq',
          '--keep-in-foreground',
          `--conf-file=${conf}`,
          `--pid-file=${paths.dnsmasqPid}`,
          `--dhcp-leasefile=${paths.dnsmasqLeases}`,
          '--log-facility=-',
          '--log-dhcp',
        ],
        pidFile: paths.dnsmasqPid,
        logFile: paths.dnsmasqLog,
        marker: conf,
        ready: () => exists(paths.dnsmasqPid),
      },
      log,
    );
    const birdConf = paths.file(FILES.bird6);
    this.bird6 = new Daemon(
      {
        name: 'bird6',
        argv: () => ['bird6', '-f', '-c', birdConf, '-s', paths.bird6Ctl, '-P', paths.bird6Pid],
        pidFile: paths.bird6Pid,
        logFile: paths.bird6Log,
        staleFiles: [paths.bird6Ctl],
        marker: birdConf,
        ready: () => exists(paths.bird6Ctl),
      },
      log,
    );
    this.metadata = new MetadataProxy({ logger: log, ...metadataOptions });
  }

  facts(): Record<string, ServiceFact> {
    return {
      dnsmasq: this.dnsmasq.fact(),
      bird6: this.bird6.fact(),
      metadata: { running: this.metadataApplied, pid: process.pid },
    };
  }

  async adopt(): Promise<void> {
    await Promise.all([this.dnsmasq.adopt(), this.bird6.adopt()]);
  }

  /** bird6 takes a new configuration through its control socket, without dropping sessions. */
  async reconfigureBird6(host: Host): Promise<{ ok: boolean; argv: string[]; output: string; exitCode: number }> {
    const argv = ['birdc6', '-s', this.paths.bird6Ctl, 'configure'];
    const r = await host.run(argv, { timeoutMs: 10_000 });
    const output = `${r.stdout}${r.stderr}`;
    const ok = r.exitCode === 0 && /Reconfigur(ed|ation in progress|ation already in progress)/.test(output);
    return { ok, argv, output, exitCode: r.exitCode };
  }

  async applyMetadata(): Promise<void> {
    const table = JSON.parse(await readFile(this.paths.file(FILES.metadata), 'utf8')) as MetadataTable;
    await this.metadata.apply(table);
    this.metadataApplied = true;
  }

  async close(): Promise<void> {
    await this.metadata.close();
    this.dnsmasq.detach();
    this.bird6.detach();
  }
}
