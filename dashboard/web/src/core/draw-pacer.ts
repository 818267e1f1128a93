// When the map may take the next device update. Every update redraws the whole map (maplibre re-clusters
// the source and reloads its tiles: three or four frames), so updates are paced by what the machine takes
// to draw them: at most one being drawn at a time, at least `minIntervalMs` between starts, and the map
// busy with device updates at most `maxDrawShare` of the time. A wall with a GPU draws an update in a few
// tens of ms and gets one every `minIntervalMs`; software WebGL on 2 cores takes ~0.4 s and gets fewer,
// leaving the main thread free for the socket and the panels. Pure: the caller passes the clock.

export interface DrawPacerOptions {
  /** at least this long between the starts of two updates, ms */
  minIntervalMs: number;
  /** the share of the time the map may spend drawing updates, 0..1 */
  maxDrawShare: number;
  /** an update not reported drawn after this long counts as drawn (a hidden tab draws nothing), ms */
  maxWaitMs: number;
}

export class DrawPacer {
  private startedAt = -Infinity;
  private drawnAt = -Infinity;
  private waiting = false;

  constructor(private readonly options: DrawPacerOptions) {}

  /** whether an update went to the map and is not drawn yet */
  get drawing(): boolean {
    return this.waiting;
  }

  /** An update went to the map. */
  started(nowMs: number): void {
    this.startedAt = nowMs;
    this.waiting = true;
  }

  /** The map has drawn what it was given. */
  drawn(nowMs: number): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.drawnAt = nowMs;
  }

  /** ms until the next update may start: while one is being drawn, until the wait for it runs out. */
  delayMs(nowMs: number): number {
    const { minIntervalMs, maxDrawShare, maxWaitMs } = this.options;
    if (this.waiting) {
      const giveUpAt = this.startedAt + maxWaitMs;
      if (nowMs < giveUpAt) return giveUpAt - nowMs;
      this.drawn(giveUpAt);
    }
    if (this.startedAt === -Infinity) return 0;
    const drawingMs = this.drawnAt - this.startedAt;
    // drawing for d, then idle for d * (1/share - 1): drawing is `share` of the time
    const nextAt = Math.max(this.startedAt + minIntervalMs, this.drawnAt + drawingMs * (1 / maxDrawShare - 1));
    return Math.max(0, nextAt - nowMs);
  }
}
