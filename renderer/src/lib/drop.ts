/**
 * Makes an element a drop target for files: `onFiles` gets the dropped files (and, when a
 * folder is among them, `folderFiles`: the files with each folder replaced by the files in it)
 * and `onDragging` whether files are being dragged over it. An attachment (`{@attach}`), so the whole window
 * can be a target without turning it into an interactive element for assistive technology.
 */
export function fileDropTarget(
  onFiles: (files: File[], folderFiles?: () => Promise<File[]>) => void,
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
      // Entries are only readable during the drop event: taken now, read later.
      const entries = [...(e.dataTransfer?.items ?? [])].map((i) => i.webkitGetAsEntry?.() ?? null);
      const folders = entries.some((en) => en?.isDirectory);
      if (files.length > 0)
        onFiles(files, folders ? () => expandFolders(entries, files) : undefined);
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

/** The dropped files with each folder replaced by the files directly in it. */
async function expandFolders(entries: (FileSystemEntry | null)[], files: File[]): Promise<File[]> {
  const out: File[] = [];
  for (const [i, entry] of entries.entries()) {
    if (!entry?.isDirectory) {
      if (files[i]) out.push(files[i]);
      continue;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      // readEntries answers in batches (100 in Chromium) until an empty one.
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
        reader.readEntries(resolve, reject),
      );
      if (batch.length === 0) break;
      for (const child of batch.filter((c) => c.isFile && !c.name.startsWith('.'))) {
        out.push(
          await new Promise<File>((resolve, reject) =>
            (child as FileSystemFileEntry).file(resolve, reject),
          ),
        );
      }
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
