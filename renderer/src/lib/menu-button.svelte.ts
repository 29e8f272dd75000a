/**
 * The state and handlers of one drop-down menu button (Export, Session, Figure ▾), over the
 * keyboard rules of menu-keys.ts: the component binds `root`, `button` and `list` and hands
 * `keydown` and `focusout` to its root element.
 */
import { tick } from 'svelte';
import { buttonKey, focusItem, menuKey } from './menu-keys.ts';

export class MenuButton {
  open = $state(false);
  root: HTMLElement | undefined = $state();
  button: HTMLButtonElement | undefined = $state();
  list: HTMLElement | undefined = $state();

  /**
   * `onOpen` runs each time the menu opens; `ownKeys(e)` says when a key inside the open menu
   * belongs to its target (a caption field) rather than to the menu.
   */
  constructor(
    private readonly options: {
      onOpen?: () => void;
      ownKeys?: (e: KeyboardEvent) => boolean;
    } = {},
  ) {}

  openAt = async (which: 'first' | 'last'): Promise<void> => {
    this.open = true;
    this.options.onOpen?.();
    await tick();
    focusItem(this.list, which);
  };

  close = (refocus: boolean): void => {
    this.open = false;
    if (refocus) this.button?.focus();
  };

  /** The button's click: opens on the first item, or closes. */
  toggle = (): void => {
    if (this.open) this.close(false);
    else void this.openAt('first');
  };

  keydown = (e: KeyboardEvent): void => {
    if (!this.open) {
      const which = e.target === this.button ? buttonKey(e) : null;
      if (which) {
        e.preventDefault();
        void this.openAt(which);
      }
      return;
    }
    if (this.options.ownKeys?.(e)) return;
    menuKey(e, this.list, this.close);
  };

  focusout = (e: FocusEvent): void => {
    if (!this.root?.contains(e.relatedTarget as Node | null)) this.open = false;
  };
}
