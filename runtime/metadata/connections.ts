// Caps on open connections, shared fairly. Every connection costs the agent a file
// descriptor, so there are three caps: per source on a listener, per listener, and over
// all listeners. One VM must not be able to deny metadata to its neighbours by filling
// them (issue 10), so a full cap is shared between sources (docs/metadata-proxy.md):
//
// - Fair share: a new connection that finds a cap full is admitted if some source holds
//   at least two more connections than the newcomer's source will; the largest such
//   holder gives up one connection (its oldest idle one, else its oldest busy one).
//   Counts thus converge to equal shares and never swap back and forth: a source at
//   its share waits, one below it never does.
// - Pressure: while a cap is three quarters full, connections with no request in
//   flight (half-open ones that never sent a request, and idle keep-alive ones) are
//   closed once idle for idleUnderPressureMs, instead of the usual header and
//   keep-alive timeouts.
//
// Sources are keyed per listener by their canonical address; sources the listener
// has no instance for share one key (they are only ever answered 404).

import type { Socket } from 'node:net';
import type { Logger } from '../log.ts';
import type { ConnectionLimits } from './options.ts';

/** The part of a cap from which the proxy is under pressure. */
export const PRESSURE_MARK = 0.75;

/** The fairness key shared by all sources a listener has no instance for. */
export const UNKNOWN_SOURCES = '(unknown)';

/** Why a connection was closed to make room. */
export type ShedReason = 'listener_full' | 'proxy_full' | 'idle_under_pressure';

interface Tracked {
  readonly socket: Socket;
  readonly group: Group;
  /** When the connection last had no request in flight (its opening, or its last answer). */
  idleSince: number;
  inFlight: number;
  released: boolean;
}

/** The connections of one fairness key on one listener, oldest first. */
interface Group {
  readonly pool: ConnectionPool;
  readonly key: string;
  readonly members: Set<Tracked>;
}

/** The connections of one listener. */
export class ConnectionPool {
  readonly networkId: string;
  readonly groups = new Map<string, Group>();
  size = 0;

  constructor(networkId: string) {
    this.networkId = networkId;
  }
}

/** What happened during one period of pressure, for its closing log line. */
interface Episode {
  started: number;
  shedIdle: number;
  evicted: number;
  refused: number;
}

export class ConnectionGate {
  readonly #limits: ConnectionLimits;
  readonly #now: () => number;
  readonly #log: Logger;
  /** Pools holding at least one connection. */
  readonly #pools = new Set<ConnectionPool>();
  readonly #tracked = new WeakMap<Socket, Tracked>();
  readonly #shed = new WeakMap<Socket, ShedReason>();
  #size = 0;
  #episode: Episode | undefined;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(limits: ConnectionLimits, now: () => number, log: Logger) {
    this.#limits = limits;
    this.#now = now;
    this.#log = log;
  }

  /** Open connections over all listeners. */
  get size(): number {
    return this.#size;
  }

  /**
   * Admits a new connection under `key` (its source, or UNKNOWN_SOURCES), making room by
   * the fair share when a cap is full. A refused connection is destroyed; false then.
   */
  admit(pool: ConnectionPool, socket: Socket, key: string): boolean {
    const held = pool.groups.get(key)?.members.size ?? 0;
    const admitted =
      held < this.#limits.perSource &&
      (pool.size < this.#limits.perListener || this.#makeRoom(pool.groups.values(), held, 'listener_full')) &&
      (this.#size < this.#limits.total || this.#makeRoom(this.#allGroups(), held, 'proxy_full'));
    if (admitted) this.#track(pool, socket, key);
    this.#watch();
    if (!admitted) {
      if (this.#episode !== undefined) this.#episode.refused += 1;
      socket.destroy();
    }
    return admitted;
  }

  /** A request arrived on the connection: it is busy until requestEnded. */
  requestStarted(socket: Socket): void {
    const tracked = this.#tracked.get(socket);
    if (tracked !== undefined) tracked.inFlight += 1;
  }

  requestEnded(socket: Socket): void {
    const tracked = this.#tracked.get(socket);
    if (tracked === undefined || tracked.inFlight === 0) return;
    tracked.inFlight -= 1;
    if (tracked.inFlight === 0) tracked.idleSince = this.#now();
  }

  /** Why the proxy closed this connection itself, if it did. */
  shedReason(socket: Socket): ShedReason | undefined {
    return this.#shed.get(socket);
  }

  /** Stops the pressure sweeper (the connections are closed by their servers). */
  close(): void {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#episode = undefined;
  }

  #track(pool: ConnectionPool, socket: Socket, key: string): void {
    let group = pool.groups.get(key);
    if (group === undefined) {
      group = { pool, key, members: new Set() };
      pool.groups.set(key, group);
    }
    const tracked: Tracked = { socket, group, idleSince: this.#now(), inFlight: 0, released: false };
    group.members.add(tracked);
    pool.size += 1;
    this.#pools.add(pool);
    this.#size += 1;
    this.#tracked.set(socket, tracked);
    socket.once('close', () => this.#release(tracked));
  }

  #release(tracked: Tracked): void {
    if (tracked.released) return;
    tracked.released = true;
    const { pool, key, members } = tracked.group;
    members.delete(tracked);
    if (members.size === 0) pool.groups.delete(key);
    pool.size -= 1;
    if (pool.size === 0) this.#pools.delete(pool);
    this.#size -= 1;
  }

  /**
   * Closes one connection of the largest group holding more than held + 1, preferring
   * a group with an idle connection among equals; false when there is none.
   */
  #makeRoom(groups: Iterable<Group>, held: number, reason: ShedReason): boolean {
    let victim: Group | undefined;
    for (const group of groups) {
      const size = group.members.size;
      if (size <= held + 1) continue;
      const best = victim?.members.size ?? 0;
      if (size > best || (size === best && victim !== undefined && !hasIdle(victim) && hasIdle(group))) victim = group;
    }
    if (victim === undefined) return false;
    this.#shedOne(oldestIdle(victim) ?? (victim.members.values().next().value as Tracked), reason);
    if (this.#episode !== undefined) this.#episode.evicted += 1;
    return true;
  }

  #shedOne(tracked: Tracked, reason: ShedReason): void {
    this.#shed.set(tracked.socket, reason);
    this.#release(tracked); // at once: the room is needed before the socket's close event
    tracked.socket.destroy();
  }

  *#allGroups(): Iterable<Group> {
    for (const pool of this.#pools) yield* pool.groups.values();
  }

  // -- pressure ---------------------------------------------------------------

  #totalPressed(): boolean {
    return this.#size >= this.#limits.total * PRESSURE_MARK;
  }

  #poolPressed(pool: ConnectionPool): boolean {
    return pool.size >= this.#limits.perListener * PRESSURE_MARK;
  }

  #pressed(): boolean {
    if (this.#totalPressed()) return true;
    for (const pool of this.#pools) if (this.#poolPressed(pool)) return true;
    return false;
  }

  /** Starts a period of pressure, and the sweeper, when a cap crosses the mark. */
  #watch(): void {
    if (this.#episode !== undefined || !this.#pressed()) return;
    this.#episode = { started: this.#now(), shedIdle: 0, evicted: 0, refused: 0 };
    const pressed = [...this.#pools].filter((pool) => this.#totalPressed() || this.#poolPressed(pool));
    this.#log.warn('metadata.connections_pressure', {
      connections: this.#size,
      networks: pressed.map((pool) => ({ network_id: pool.networkId, connections: pool.size })),
    });
    const every = Math.min(1000, Math.max(10, this.#limits.idleUnderPressureMs / 4));
    this.#sweeper = setInterval(() => this.#sweep(), every);
    this.#sweeper.unref();
  }

  #sweep(): void {
    const now = this.#now();
    const all = this.#totalPressed();
    for (const pool of [...this.#pools]) {
      if (!all && !this.#poolPressed(pool)) continue;
      for (const group of [...pool.groups.values()]) {
        for (const tracked of [...group.members]) {
          if (tracked.inFlight > 0 || now - tracked.idleSince < this.#limits.idleUnderPressureMs) continue;
          this.#shedOne(tracked, 'idle_under_pressure');
          if (this.#episode !== undefined) this.#episode.shedIdle += 1;
        }
      }
    }
    if (!this.#pressed()) this.#relieve(now);
  }

  #relieve(now: number): void {
    const episode = this.#episode;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    this.#episode = undefined;
    if (episode === undefined) return;
    this.#log.info('metadata.connections_relieved', {
      connections: this.#size,
      duration_ms: Math.round(now - episode.started),
      shed_idle: episode.shedIdle,
      evicted: episode.evicted,
      refused: episode.refused,
    });
  }
}

function hasIdle(group: Group): boolean {
  for (const tracked of group.members) if (tracked.inFlight === 0) return true;
  return false;
}

/** The connection of a group that has been idle the longest. */
function oldestIdle(group: Group): Tracked | undefined {
  let oldest: Tracked | undefined;
  for (const tracked of group.members) {
    if (tracked.inFlight === 0 && (oldest === undefined || tracked.idleSince < oldest.idleSince)) oldest = tracked;
  }
  return oldest;
}
