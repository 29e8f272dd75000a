/**
 * The 3-D view's epoch playback as a rune module: `shown` is the fractional series position on
 * screen, animated towards the selected point at one step per STEP_MS; Play selects the next
 * point each time the view arrives, until the last. CollapseView owns one instance.
 */
export const STEP_MS = 650;

export class Playback {
  /** Fractional series position shown (animates towards the selection). */
  shown = $state(0);
  playing = $state(false);
  /** An epoch animation is running (the view draws a lighter cloud meanwhile). */
  moving = $state(false);

  #animation = 0;
  #pause: ReturnType<typeof setTimeout> | undefined;

  /**
   * @param count how many points the series has now
   * @param select selects a point (the app's selection; the view then animates there)
   */
  constructor(
    private readonly count: () => number,
    private readonly select: (index: number) => void,
  ) {}

  /** Shows `target` at once (a new result), stopping any animation. */
  jump(target: number): void {
    this.stop();
    this.shown = target;
  }

  stop(): void {
    cancelAnimationFrame(this.#animation);
    this.#animation = 0;
    this.moving = false;
  }

  /**
   * Moves `shown` to `target` at one series step per STEP_MS; the loop runs only meanwhile.
   * Arriving lets a running Play take its next step.
   */
  animateTo(target: number): void {
    this.stop();
    const from = this.shown;
    if (from === target) {
      this.#arrived();
      return;
    }
    const duration = Math.min(1.5, Math.abs(target - from)) * STEP_MS;
    const start = performance.now();
    this.moving = true;
    const tick = (now: number) => {
      const t = Math.min(1, (now - start) / duration);
      const eased = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      this.shown = from + (target - from) * eased;
      if (t < 1) this.#animation = requestAnimationFrame(tick);
      else {
        this.#animation = 0;
        this.moving = false;
        this.#arrived();
      }
    };
    this.#animation = requestAnimationFrame(tick);
  }

  /** Play / Pause. From the end, starts over at the first point without animating back. */
  toggle(): void {
    clearTimeout(this.#pause);
    if (this.playing) {
      this.playing = false;
      return;
    }
    this.playing = true;
    if (Math.round(this.shown) >= this.count() - 1) {
      this.stop();
      this.shown = 0;
      this.select(0);
    }
    this.#arrived();
  }

  dispose(): void {
    this.playing = false;
    clearTimeout(this.#pause);
    this.stop();
  }

  #arrived(): void {
    clearTimeout(this.#pause); // one pending step, however many arrivals announce it
    if (this.playing) this.#pause = setTimeout(() => this.#step(), 250);
  }

  /** Play's next step: select the next point (the view then animates there). */
  #step(): void {
    const next = Math.round(this.shown) + 1;
    if (!this.playing || next >= this.count()) {
      this.playing = false;
      return;
    }
    this.select(next);
  }
}
