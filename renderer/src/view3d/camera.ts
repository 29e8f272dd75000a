/**
 * The 3D view's camera from outside the canvas: the keyboard (arrow keys orbit, + and − zoom,
 * as a mouse drag and the wheel do) and the camera a saved session restores. EtfView registers
 * its renderer here (`view3d.current`); a camera to restore before the view exists (or before
 * it fits itself to a new result) waits in `view3d.pending` and is applied after the fit.
 */
import * as THREE from 'three';
import type { EtfRenderer } from './etf-renderer.ts';

export interface CameraState {
  position: number[];
  target: number[];
  up: number[];
}

/** The view on screen, and a camera waiting to be restored. */
export const view3d: { current: EtfRenderer | null; pending: CameraState | null } = {
  current: null,
  pending: null,
};

/** Radians per arrow-key press (a sixteenth of a turn); the zoom factor per + or −. */
export const ORBIT_STEP = Math.PI / 16;
export const ZOOM_STEP = 0.8;

const round = (v: THREE.Vector3) => v.toArray().map((x) => Number(x.toPrecision(12)));

export function cameraOf(r: EtfRenderer): CameraState {
  return {
    position: round(r.camera.position),
    target: round(r.controls.target),
    up: round(r.camera.up),
  };
}

export function setCamera(r: EtfRenderer, c: CameraState): void {
  const ok = (v: unknown): v is number[] =>
    Array.isArray(v) && v.length === 3 && v.every((x) => Number.isFinite(x));
  if (!ok(c.position) || !ok(c.target) || !ok(c.up)) return;
  r.camera.up.fromArray(c.up);
  r.camera.position.fromArray(c.position);
  r.controls.target.fromArray(c.target);
  r.camera.lookAt(r.controls.target);
  r.controls.update();
  r.requestRender();
}

/** Turns the camera about the target: `azimuth` around the up axis, `polar` towards it. */
export function orbit(r: EtfRenderer, azimuth: number, polar: number): void {
  const target = r.controls.target;
  const offset = r.camera.position.clone().sub(target);
  // Spherical coordinates about the camera's up axis (OrbitControls' own convention).
  const toYUp = new THREE.Quaternion().setFromUnitVectors(r.camera.up, new THREE.Vector3(0, 1, 0));
  offset.applyQuaternion(toYUp);
  const s = new THREE.Spherical().setFromVector3(offset);
  s.theta += azimuth;
  s.phi = Math.min(Math.PI - 0.01, Math.max(0.01, s.phi + polar));
  offset.setFromSpherical(s).applyQuaternion(toYUp.invert());
  r.camera.position.copy(target).add(offset);
  r.camera.lookAt(target);
  r.controls.update();
  r.requestRender();
}

/**
 * Arrow keys orbit and + / − zoom while the canvas has focus (OrbitControls' own key handling,
 * which pans, is switched off). Returns the detach.
 */
export function keyboardControls(r: EtfRenderer): () => void {
  r.controls.stopListenToKeyEvents();
  const onKey = (e: KeyboardEvent) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [-ORBIT_STEP, 0],
      ArrowRight: [ORBIT_STEP, 0],
      ArrowUp: [0, -ORBIT_STEP],
      ArrowDown: [0, ORBIT_STEP],
    };
    const move = moves[e.key];
    if (move) orbit(r, move[0], move[1]);
    else if (e.key === '+' || e.key === '=') r.zoom(ZOOM_STEP);
    else if (e.key === '-' || e.key === '_' || e.key === '−') r.zoom(1 / ZOOM_STEP);
    else return;
    e.preventDefault();
  };
  r.canvas.addEventListener('keydown', onKey);
  return () => r.canvas.removeEventListener('keydown', onKey);
}

/** Applies a camera waiting to be restored (after the view fitted itself to its result). */
export function applyPending(r: EtfRenderer | null): void {
  if (!r || !view3d.pending) return;
  setCamera(r, view3d.pending);
  view3d.pending = null;
}
