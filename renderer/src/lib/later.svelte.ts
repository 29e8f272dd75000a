/**
 * A value that follows another a few tasks later, so the heavy views of a new result (the 3-D
 * frames, the heatmap's raster) each render in a task of their own after the metrics are on
 * screen, instead of all in one long task. Create it in a component's setup (it uses $effect).
 */
export class Later<T> {
  current = $state.raw<T | null>(null);

  /** `stage` tasks after `get()` changes, `current` takes its value (stages keep their order). */
  constructor(get: () => T, stage = 1) {
    $effect(() => {
      const value = get();
      let timer: ReturnType<typeof setTimeout>;
      const wait = (left: number) => {
        timer = setTimeout(() => (left > 1 ? wait(left - 1) : (this.current = value)), 0);
      };
      wait(stage);
      return () => clearTimeout(timer);
    });
  }
}
