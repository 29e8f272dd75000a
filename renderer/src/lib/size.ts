/**
 * An element's client size for `{@attach}`, as its ResizeObserver reports it. Unlike
 * `bind:clientWidth`, nothing is read when the element mounts: that read forces a layout of the
 * whole page in the task that built it (50–100 ms with the tables and charts of many classes);
 * the first report comes with the next frame, after the layout it does anyway.
 */
import type { Attachment } from 'svelte/attachments';

export function clientSize(set: (size: { width: number; height: number }) => void): Attachment {
  return (element) => {
    const observer = new ResizeObserver(() =>
      set({ width: element.clientWidth, height: element.clientHeight }),
    );
    observer.observe(element);
    return () => observer.disconnect();
  };
}
