/**
 * The keyboard of a drop-down menu (the WAI-ARIA menu button pattern): on the button, Enter,
 * Space or ↓ opens the menu on its first item and ↑ on its last; inside, ↑/↓ move (wrapping),
 * Home/End jump, Escape closes and gives focus back to the button, Tab closes.
 */
export function menuItems(list: HTMLElement | null | undefined): HTMLElement[] {
  return [...(list?.querySelectorAll<HTMLElement>('[role="menuitem"]:not([disabled])') ?? [])];
}

/** Keys on the menu button: opens the menu and says which item to focus (or null). */
export function buttonKey(e: KeyboardEvent): 'first' | 'last' | null {
  if (e.key === 'ArrowDown') return 'first';
  if (e.key === 'ArrowUp') return 'last';
  return null;
}

/** Keys inside the open menu; returns true when it handled the key. */
export function menuKey(
  e: KeyboardEvent,
  list: HTMLElement | null | undefined,
  close: (refocus: boolean) => void,
): boolean {
  const items = menuItems(list);
  const at = items.indexOf(document.activeElement as HTMLElement);
  const go = (i: number) => items[(i + items.length) % items.length]?.focus();
  switch (e.key) {
    case 'ArrowDown':
      go(at + 1);
      break;
    case 'ArrowUp':
      go(at < 0 ? items.length - 1 : at - 1);
      break;
    case 'Home':
      go(0);
      break;
    case 'End':
      go(items.length - 1);
      break;
    case 'Escape':
      close(true);
      break;
    case 'Tab':
      close(false);
      return false;
    default:
      return false;
  }
  e.preventDefault();
  return true;
}

/** Focuses the first or last item once the list is in the DOM. */
export function focusItem(list: HTMLElement | null | undefined, which: 'first' | 'last'): void {
  const items = menuItems(list);
  (which === 'first' ? items[0] : items[items.length - 1])?.focus();
}
