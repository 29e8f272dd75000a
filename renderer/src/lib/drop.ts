/**
 * Makes an element a drop target for files: `onFiles` gets the dropped files and `onDragging`
 * whether files are being dragged over it. An attachment (`{@attach}`), so the whole window
 * can be a target without turning it into an interactive element for assistive technology.
 */
export function fileDropTarget(
  onFiles: (files: File[]) => void,
  onDragging: (dragging: boolean) => void,
): (node: HTMLElement) => () => void {
  return (node) => {
    // dragenter/dragleave fire for every child crossed; count them to know when the drag left.
    let depth = 0;
    const carriesFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      depth++;
      onDragging(true);
    };
    const leave = () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) onDragging(false);
    };
    const over = (e: DragEvent) => {
      if (!carriesFiles(e)) return;
      // Without preventDefault the browser would open the dropped file itself.
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth = 0;
      onDragging(false);
      const files = [...(e.dataTransfer?.files ?? [])];
      if (files.length > 0) onFiles(files);
    };
    node.addEventListener('dragenter', enter);
    node.addEventListener('dragleave', leave);
    node.addEventListener('dragover', over);
    node.addEventListener('drop', drop);
    return () => {
      node.removeEventListener('dragenter', enter);
      node.removeEventListener('dragleave', leave);
      node.removeEventListener('dragover', over);
      node.removeEventListener('drop', drop);
    };
  };
}
