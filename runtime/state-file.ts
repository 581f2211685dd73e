// The applied configuration on disk (state/config.json): read once at start,
// written after every successful apply, except when it already holds that
// configuration (an identical re-push writes no file; its applied_at is then
// when the configuration was first applied).
import type { HostPort } from './host/port.ts';
import type { Logger } from './log.ts';

type Body = Record<string, unknown>;

export class StateFile {
  /** the configuration the file holds, as JSON */
  private persisted: string | null = null;
  /** the body object last saved or found saved: the same object again needs no serialising */
  private body: Body | null = null;

  constructor(
    private readonly host: HostPort,
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  async load(): Promise<Body | null> {
    const text = await this.host.readFile(this.file);
    if (text === null) return null;
    try {
      const configuration = (JSON.parse(text) as { configuration?: Body }).configuration ?? null;
      this.persisted = configuration ? JSON.stringify(configuration) : null;
      return configuration;
    } catch (err) {
      this.log.error('agent.state_unreadable', { error: String(err) });
      return null;
    }
  }

  /** The body as the file would hold it; null when it is the body last saved. Throws when it cannot be serialised. */
  serialise(body: Body): string | null {
    return body === this.body ? null : JSON.stringify(body);
  }

  /** @param text serialise(body) */
  async save(body: Body, text: string | null): Promise<void> {
    const configuration = text ?? this.persisted;
    if (configuration === this.persisted && (await this.host.fileSize(this.file)) !== null) {
      this.body = body;
      return;
    }
    const at = new Date(this.host.now()).toISOString();
    await this.host.writeFile(this.file, `{"configuration":${configuration},"applied_at":${JSON.stringify(at)}}\n`, 0o600);
    this.persisted = configuration;
    this.body = body;
  }
}
