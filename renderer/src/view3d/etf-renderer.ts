/**
 * The three.js side of the ETF view: one WebGLRenderer on one canvas, rendered on demand
 * (orbit changes and data changes request one frame; nothing runs while idle). Coordinates
 * arrive as ViewFrames; each frame is drawn scaled to unit mean norm, so the ideal simplex keeps
 * its size and the means visibly move onto it across epochs.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import { classColor } from '../../../shared/charts/palette.ts';
import { MAX_SAMPLES, type ViewFrame } from './frames.ts';
import type { ScreenPoint } from './labels.ts';

export interface Layers {
  means: boolean;
  ideal: boolean;
  errors: boolean;
  weights: boolean;
  samples: boolean;
  labels: boolean;
}

/** Every layer shown: how the view starts. */
export const ALL_LAYERS: Readonly<Layers> = {
  means: true,
  ideal: true,
  errors: true,
  weights: true,
  samples: true,
  labels: true,
};

export interface Theme {
  background: string;
  ink: string;
  wire: string;
}

/**
 * While the view moves (orbit, zoom, epoch animation) the cloud draws only this many of its
 * points (a scattered prefix of the buffer, see frames.ts): software WebGL then keeps ~20 fps,
 * and the full cloud returns as soon as the view rests.
 */
export const MOVING_SAMPLES = 20_000;

/** The ETF wireframe draws every edge only while that stays readable. */
const MAX_EDGE_CLASSES = 12;
/**
 * Beyond this many classes, ideal vertices, mean → vertex lines and labels are drawn only for
 * the classes in focus (chosen in the legend, a few extremes): thousands of them hide the means.
 */
export const FOCUS_CLASSES = 100;

/** The spheres of k class means: fewer facets as they get smaller and more numerous. */
function meanGeometry(k: number, s: number): THREE.BufferGeometry {
  if (k <= 30) return new THREE.SphereGeometry(s, 24, 16);
  if (k <= 300) return new THREE.SphereGeometry(s, 12, 8);
  // Software WebGL draws every triangle: 1 000 means of 20 faces are 20 000 triangles.
  return new THREE.IcosahedronGeometry(s, 0);
}

function instanced(
  geometry: THREE.BufferGeometry,
  material: THREE.Material,
  count: number,
): THREE.InstancedMesh {
  const m = new THREE.InstancedMesh(geometry, material, Math.max(count, 1));
  m.count = count;
  m.frustumCulled = false;
  return m;
}
const Y_UP = new THREE.Vector3(0, 1, 0);

function disposeObject(o: THREE.Object3D): void {
  o.traverse((x) => {
    const m = x as THREE.Mesh;
    m.geometry?.dispose();
    const mat = m.material;
    if (Array.isArray(mat)) mat.forEach((q) => q.dispose());
    else mat?.dispose();
  });
}

function lineSegments(material: THREE.LineBasicMaterial): THREE.LineSegments {
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute([], 3));
  g.setAttribute('color', new THREE.Float32BufferAttribute([], 3));
  const l = new THREE.LineSegments(g, material);
  l.frustumCulled = false;
  return l;
}

function setSegments(l: THREE.LineSegments, positions: number[], colors: number[]): void {
  l.geometry.setAttribute('position', new THREE.Float32BufferAttribute(positions, 3));
  l.geometry.setAttribute('color', new THREE.Float32BufferAttribute(colors, 3));
}

/**
 * Whether WebGL runs in software (SwiftShader, llvmpipe). Multisampling there costs more than
 * half of every frame (measured in bench/view3d.ts), so it is left off.
 */
function softwareGl(): boolean {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return false;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : '');
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return /swiftshader|llvmpipe|software/i.test(name);
}

export class EtfRenderer {
  readonly canvas: HTMLCanvasElement;
  readonly renderer: THREE.WebGLRenderer;
  readonly scene = new THREE.Scene();
  readonly camera = new THREE.PerspectiveCamera(38, 1, 0.01, 100);
  readonly controls: OrbitControls;
  /** Called after every render with the classes' screen positions. */
  onRender: ((points: ScreenPoint[]) => void) | null = null;
  /** Frames rendered so far (tests wait on it). */
  renders = 0;

  #frame: ViewFrame | null = null;
  #layers: Layers = { ...ALL_LAYERS };
  #theme: Theme = { background: '#ffffff', ink: '#222222', wire: '#333333' };
  #size = 0.06;
  #pending = 0;
  #resize: ResizeObserver;
  #light = new THREE.DirectionalLight(0xffffff, 1.6);

  /** The meshes exist from construction; a frame of another size rebuilds them (#buildMeshes). */
  #means: THREE.InstancedMesh;
  #idealMarks: THREE.InstancedMesh;
  #cones: THREE.InstancedMesh;
  /** Class positions in focus (many classes), or null: every class. */
  #focus: number[] | null = null;
  /**
   * Beyond FOCUS_CLASSES the means are dots (one vertex each, one draw call): software WebGL
   * takes most of a second for 10 000 meshes, however few their facets.
   */
  #dots: THREE.Points = new THREE.Points(
    new THREE.BufferGeometry(),
    new THREE.PointsMaterial({ size: 5, sizeAttenuation: false, vertexColors: true }),
  );
  #edges = lineSegments(
    new THREE.LineBasicMaterial({
      vertexColors: true,
      transparent: true,
      opacity: 0.55,
      depthTest: false,
    }),
  );
  #errors = lineSegments(new THREE.LineBasicMaterial({ vertexColors: true }));
  #shafts = lineSegments(new THREE.LineBasicMaterial({ vertexColors: true }));
  #cloud: THREE.Points | null = null;
  #cloudClasses: Uint32Array | null = null;
  #cloudCount = 0;
  #orbiting = false;
  #animating = false;

  constructor(canvas: HTMLCanvasElement, options: { antialias?: boolean } = {}) {
    this.canvas = canvas;
    // preserveDrawingBuffer: screenshots and PNG export read the canvas outside the frame.
    this.renderer = new THREE.WebGLRenderer({
      canvas,
      antialias: options.antialias ?? !softwareGl(),
      preserveDrawingBuffer: true,
    });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    this.scene.add(new THREE.AmbientLight(0xffffff, 1.1));
    this.camera.add(this.#light);
    this.#light.position.set(1, 2, 3);
    this.scene.add(this.camera);
    this.#edges.renderOrder = 10; // the ideal ETF is drawn over the means, never hidden by them
    this.scene.add(this.#edges, this.#errors, this.#shafts);
    [this.#means, this.#idealMarks, this.#cones] = this.#meshes(0);
    this.#dots.frustumCulled = false;
    this.scene.add(this.#dots);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.addEventListener('change', () => this.requestRender());
    this.controls.addEventListener('start', () => (this.#orbiting = true));
    this.controls.addEventListener('end', () => {
      this.#orbiting = false;
      this.requestRender();
    });
    this.controls.listenToKeyEvents(canvas);
    this.#resize = new ResizeObserver(() => this.#fitCanvas());
    this.#resize.observe(canvas);
    this.#fitCanvas();
    this.resetCamera(1);
  }

  setTheme(theme: Theme): void {
    this.#theme = theme;
    this.renderer.setClearColor(new THREE.Color(theme.background), 1);
    if (this.#frame) this.#buildIdeal(this.#frame);
    this.requestRender();
  }

  /** The classes (positions) whose ideal vertex and error line are drawn; null: all. */
  setFocus(focus: number[] | null): void {
    this.#focus = focus;
    if (this.#frame) {
      this.#buildIdeal(this.#frame);
      this.#updateErrors(this.#frame);
      this.#updateWeights(this.#frame);
    }
    this.requestRender();
  }

  setLayers(layers: Layers): void {
    this.#layers = { ...layers };
    this.#applyVisibility();
    this.requestRender();
  }

  /** Puts the camera back where it looks at a scene of the given half-size. */
  resetCamera(extent = 1.1): void {
    const dist = (extent / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2))) * 1.05;
    this.camera.position.set(0.45, 0.35, 1).normalize().multiplyScalar(dist);
    this.camera.near = dist / 100;
    this.camera.far = dist * 20;
    this.camera.updateProjectionMatrix();
    this.controls.target.set(0, 0, 0);
    this.controls.update();
    this.requestRender();
  }

  zoom(factor: number): void {
    const t = this.controls.target;
    this.camera.position.sub(t).multiplyScalar(factor).add(t);
    this.controls.update();
  }

  /** Draws a frame (null clears the scene). Marker sizes follow the frame's extent. */
  setFrame(frame: ViewFrame | null): void {
    const structureChanged =
      !this.#frame || !frame || this.#frame.means.length !== frame.means.length;
    this.#frame = frame;
    if (!frame) {
      this.#buildMeshes(0);
      this.#cloudCount = 0;
      this.requestRender();
      return;
    }
    const k = frame.means.length;
    // Smaller markers as classes grow: at C = 1 000 a sphere of C = 100's size hides its
    // neighbours.
    this.#size = Math.max(k > 300 ? 0.012 : 0.022, 0.065 * Math.sqrt(Math.min(1, 10 / k)));
    if (structureChanged) this.#buildMeshes(k, frame);
    this.#updateMeans(frame);
    this.#buildIdeal(frame);
    this.#updateErrors(frame);
    this.#updateWeights(frame);
    this.#updateCloud(frame);
    this.#applyVisibility();
    this.requestRender();
  }

  /** Half-size of what a frame shows (unit mean norm), for fitting the camera. */
  static extentOf(frame: ViewFrame | null): number {
    if (!frame || frame.radius <= 0) return 1;
    let m = 0;
    for (const rows of [frame.means, frame.ideal, frame.weights ?? []])
      for (const r of rows) m = Math.max(m, Math.hypot(r[0], r[1], r[2]) / frame.radius);
    return Math.max(m, 0.05) * 1.08;
  }

  requestRender(): void {
    if (this.#pending) return;
    this.#pending = requestAnimationFrame(() => {
      this.#pending = 0;
      this.render();
    });
  }

  /** Marks an epoch animation running (lighter cloud) or finished (full cloud). */
  setAnimating(on: boolean): void {
    this.#animating = on;
    this.requestRender();
  }

  render(): void {
    if (this.#cloud) {
      const moving = this.#orbiting || this.#animating;
      this.#cloud.geometry.setDrawRange(
        0,
        moving ? Math.min(this.#cloudCount, MOVING_SAMPLES) : this.#cloudCount,
      );
    }
    this.renderer.render(this.scene, this.camera);
    this.renders++;
    this.onRender?.(this.screenPoints());
  }

  /** Where each drawn class mean lands on screen (CSS px). */
  screenPoints(): ScreenPoint[] {
    const f = this.#frame;
    if (!f || f.radius <= 0) return [];
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const v = new THREE.Vector3();
    return f.means.map((p, index) => {
      v.set(p[0], p[1], p[2]).divideScalar(f.radius).project(this.camera);
      return { index, x: ((v.x + 1) / 2) * w, y: ((1 - v.y) / 2) * h, depth: v.z };
    });
  }

  /** The drawn class (index into the frame's classes) nearest to a point, within `radius` px. */
  pick(x: number, y: number, radius = 14): number | null {
    let best: number | null = null;
    let bestD = radius * radius;
    for (const p of this.screenPoints()) {
      const d = (p.x - x) ** 2 + (p.y - y) ** 2;
      if (d <= bestD && p.depth < 1) {
        bestD = d;
        best = p.index;
      }
    }
    return best;
  }

  dispose(): void {
    cancelAnimationFrame(this.#pending);
    this.#resize.disconnect();
    this.controls.dispose();
    for (const m of [this.#means, this.#idealMarks, this.#cones]) disposeObject(m);
    for (const l of [this.#edges, this.#errors, this.#shafts, this.#dots]) disposeObject(l);
    if (this.#cloud) disposeObject(this.#cloud);
    this.renderer.dispose();
  }

  #fitCanvas(): void {
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    if (w === 0 || h === 0) return;
    this.renderer.setSize(w, h, false);
    this.camera.aspect = w / h;
    this.camera.updateProjectionMatrix();
    this.requestRender();
  }

  /** Means, ideal-vertex marks and classifier cones for k classes (not yet in the scene). */
  #meshes(k: number): [THREE.InstancedMesh, THREE.InstancedMesh, THREE.InstancedMesh] {
    const s = this.#size;
    const means = instanced(meanGeometry(k, s), new THREE.MeshLambertMaterial(), k);
    // Ideal vertices: wire octahedra larger than the spheres and drawn on top, so a mean sitting
    // exactly on its vertex still shows the vertex around it.
    const marks = instanced(
      new THREE.OctahedronGeometry(s * 1.6),
      new THREE.MeshBasicMaterial({
        wireframe: true,
        transparent: true,
        opacity: 0.7,
        depthTest: false,
      }),
      k,
    );
    marks.renderOrder = 11;
    const cones = instanced(
      new THREE.ConeGeometry(s * 0.55, s * 2, k > 300 ? 5 : 12).translate(0, -s, 0),
      new THREE.MeshLambertMaterial(),
      k,
    );
    return [means, marks, cones];
  }

  /** Replaces the meshes by ones for k classes, coloured by `frame`'s classes. */
  #buildMeshes(k: number, frame?: ViewFrame): void {
    for (const m of [this.#means, this.#idealMarks, this.#cones]) {
      this.scene.remove(m);
      disposeObject(m);
    }
    const dots = k > FOCUS_CLASSES;
    [this.#means, this.#idealMarks, this.#cones] = this.#meshes(k);
    if (dots) this.#means.count = 0;
    const g = this.#dots.geometry;
    g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(dots ? k * 3 : 0), 3));
    g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(dots ? k * 3 : 0), 3));
    if (dots && frame) {
      const colors = g.getAttribute('color') as THREE.BufferAttribute;
      const color = new THREE.Color();
      frame.classes.forEach((cls, i) => {
        color.set(classColor(cls));
        colors.setXYZ(i, color.r, color.g, color.b);
      });
    }
    setSegments(this.#edges, [], []);
    setSegments(this.#errors, [], []);
    setSegments(this.#shafts, [], []);
    const color = new THREE.Color();
    frame?.classes.forEach((cls, i) => {
      color.set(classColor(cls));
      if (!dots) this.#means.setColorAt(i, color);
    });
    this.scene.add(this.#means, this.#idealMarks, this.#cones);
  }

  /** Indices (into the frame's classes) of the classes in focus. */
  #focused(frame: ViewFrame): number[] {
    if (!this.#focus) return frame.classes.map((_, i) => i);
    const at = new Map(frame.classes.map((cls, i) => [cls, i]));
    return this.#focus.flatMap((cls) => {
      const i = at.get(cls);
      return i === undefined ? [] : [i];
    });
  }

  #unit(frame: ViewFrame, p: number[]): THREE.Vector3 {
    const r = frame.radius > 0 ? frame.radius : 1;
    return new THREE.Vector3(p[0] / r, p[1] / r, p[2] / r);
  }

  #updateMeans(frame: ViewFrame): void {
    if (frame.means.length > FOCUS_CLASSES) {
      const pos = this.#dots.geometry.getAttribute('position') as THREE.BufferAttribute;
      const inv = frame.radius > 0 ? 1 / frame.radius : 1;
      frame.means.forEach((p, i) => pos.setXYZ(i, p[0] * inv, p[1] * inv, p[2] * inv));
      pos.needsUpdate = true;
      return;
    }
    const m = new THREE.Matrix4();
    frame.means.forEach((p, i) => {
      m.makeTranslation(this.#unit(frame, p));
      this.#means.setMatrixAt(i, m);
    });
    this.#means.instanceMatrix.needsUpdate = true;
    if (this.#means.instanceColor) this.#means.instanceColor.needsUpdate = true;
  }

  #buildIdeal(frame: ViewFrame): void {
    const wire = new THREE.Color(this.#theme.wire);
    (this.#idealMarks.material as THREE.MeshBasicMaterial).color.copy(wire);
    const m = new THREE.Matrix4();
    const shown = this.#focused(frame);
    shown.forEach((i, slot) => {
      m.makeTranslation(this.#unit(frame, frame.ideal[i]));
      this.#idealMarks.setMatrixAt(slot, m);
    });
    this.#idealMarks.count = shown.length;
    this.#idealMarks.instanceMatrix.needsUpdate = true;
    const pts = this.#focus ? [] : frame.ideal.map((p) => this.#unit(frame, p));
    const pos: number[] = [];
    const col: number[] = [];
    if (pts.length <= MAX_EDGE_CLASSES) {
      for (let i = 0; i < pts.length; i++)
        for (let j = i + 1; j < pts.length; j++) {
          pos.push(...pts[i].toArray(), ...pts[j].toArray());
          col.push(wire.r, wire.g, wire.b, wire.r, wire.g, wire.b);
        }
    }
    // Fewer, stronger edges for small C; 45 edges at C = 10 would otherwise hide the means.
    (this.#edges.material as THREE.LineBasicMaterial).opacity = pts.length <= 5 ? 0.6 : 0.35;
    setSegments(this.#edges, pos, col);
  }

  #updateErrors(frame: ViewFrame): void {
    const pos: number[] = [];
    const col: number[] = [];
    const c = new THREE.Color();
    for (const i of this.#focused(frame)) {
      c.set(classColor(frame.classes[i]));
      pos.push(
        ...this.#unit(frame, frame.means[i]).toArray(),
        ...this.#unit(frame, frame.ideal[i]).toArray(),
      );
      col.push(c.r, c.g, c.b, c.r, c.g, c.b);
    }
    setSegments(this.#errors, pos, col);
  }

  #updateWeights(frame: ViewFrame): void {
    const pos: number[] = [];
    const col: number[] = [];
    const c = new THREE.Color();
    const m = new THREE.Matrix4();
    const q = new THREE.Quaternion();
    const one = new THREE.Vector3(1, 1, 1);
    const weights = frame.weights ?? [];
    // Many classes: the classifier rows of the focus only.
    const shown = frame.weights ? this.#focused(frame) : [];
    shown.forEach((i, slot) => {
      const tip = this.#unit(frame, weights[i]);
      c.set(classColor(frame.classes[i]));
      pos.push(0, 0, 0, ...tip.toArray());
      col.push(c.r, c.g, c.b, c.r, c.g, c.b);
      const len = tip.length();
      q.setFromUnitVectors(Y_UP, len > 0 ? tip.clone().divideScalar(len) : Y_UP);
      m.compose(tip, q, len > 0 ? one : new THREE.Vector3(0, 0, 0));
      this.#cones.setMatrixAt(slot, m);
      this.#cones.setColorAt(slot, c);
    });
    this.#cones.count = shown.length;
    if (this.#cones.instanceColor) this.#cones.instanceColor.needsUpdate = true;
    this.#cones.instanceMatrix.needsUpdate = true;
    setSegments(this.#shafts, pos, col);
  }

  /** One Points object with buffers for MAX_SAMPLES, allocated once and updated in place. */
  #updateCloud(frame: ViewFrame): void {
    const s = frame.samples;
    if (!s) {
      this.#cloudCount = 0;
      return;
    }
    if (!this.#cloud) {
      const g = new THREE.BufferGeometry();
      const pos = new THREE.BufferAttribute(new Float32Array(MAX_SAMPLES * 3), 3);
      const col = new THREE.BufferAttribute(new Float32Array(MAX_SAMPLES * 3), 3);
      pos.setUsage(THREE.DynamicDrawUsage);
      g.setAttribute('position', pos);
      g.setAttribute('color', col);
      this.#cloud = new THREE.Points(
        g,
        new THREE.PointsMaterial({
          size: 2.5,
          sizeAttenuation: false,
          vertexColors: true,
          transparent: true,
          opacity: 0.5,
          depthWrite: false,
        }),
      );
      this.#cloud.frustumCulled = false;
      this.scene.add(this.#cloud);
    }
    const n = Math.min(s.classes.length, MAX_SAMPLES);
    const g = this.#cloud.geometry;
    const pos = g.getAttribute('position') as THREE.BufferAttribute;
    const arr = pos.array as Float32Array;
    const inv = frame.radius > 0 ? 1 / frame.radius : 1;
    for (let i = 0; i < n * 3; i++) arr[i] = s.positions[i] * inv;
    pos.clearUpdateRanges();
    pos.addUpdateRange(0, n * 3);
    pos.needsUpdate = true;
    if (this.#cloudClasses !== s.classes) {
      this.#cloudClasses = s.classes;
      const col = g.getAttribute('color') as THREE.BufferAttribute;
      const carr = col.array as Float32Array;
      const c = new THREE.Color();
      const cache = new Map<number, THREE.Color>();
      for (let i = 0; i < n; i++) {
        const k = s.classes[i];
        let kc = cache.get(k);
        if (!kc) cache.set(k, (kc = c.clone().set(classColor(k))));
        carr[i * 3] = kc.r;
        carr[i * 3 + 1] = kc.g;
        carr[i * 3 + 2] = kc.b;
      }
      col.clearUpdateRanges();
      col.addUpdateRange(0, n * 3);
      col.needsUpdate = true;
    }
    this.#cloudCount = n;
  }

  #applyVisibility(): void {
    const l = this.#layers;
    this.#means.visible = l.means;
    this.#dots.visible = l.means;
    this.#idealMarks.visible = l.ideal;
    this.#edges.visible = l.ideal;
    this.#errors.visible = l.errors;
    this.#shafts.visible = l.weights;
    this.#cones.visible = l.weights;
    if (this.#cloud) this.#cloud.visible = l.samples;
  }
}
