/** IPC channel names between the preload bridge and Electron's main process. */
export const CHANNELS = {
  call: 'nc-lens:call',
  analyze: 'nc-lens:analyze',
  exportResult: 'nc-lens:export',
  saveExport: 'nc-lens:save-export',
  progress: 'nc-lens:progress',
  command: 'nc-lens:command',
} as const;
