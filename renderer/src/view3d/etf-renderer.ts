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

/** How the sample cloud is coloured and which samples stand out (state/selection.svelte.ts). */
export interface SampleStyle {
  colour: 'class' | 'classifier' | 'ncc';
  highlight: 'none' | 'classifier-wrong' | 'ncc-wrong' | 'disagree';
}

/** How far a dimmed colour moves toward the background. */
const DIM = 0.8;

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

/** classColor as a THREE.Color (parsed once per colour: the views colour 10⁴ classes). */
const CLASS_RGB = new Map<string, THREE.Color>();
function classRgb(cls: number): THREE.Color {
  const hex = classColor(cls);
  let c = CLASS_RGB.get(hex);
  if (!c) CLASS_RGB.set(hex, (c = new THREE.Color(hex)));
  return c;
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
  #deferred = 0;
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
  /** The highlighted samples again, larger and opaque, over the cloud. */
  #marked: THREE.Points | null = null;
  #markedOf: Uint32Array = new Uint32Array(0);
  /** What the cloud's colours were computed from (recoloured when any of it changes). */
  #cloudColoured: {
    classes: Uint32Array;
    style: SampleStyle;
    highlight: Set<number> | null;
  } | null = null;
  #cloudCount = 0;
  /** Selected class positions (others dim), or null: none selected. */
  #highlight: Set<number> | null = null;
  #sampleStyle: SampleStyle = { colour: 'class', highlight: 'none' };
  #meansColoured: { classes: number[]; highlight: Set<number> | null } | null = null;
  /** Class means drawn in full colour and samples highlighted (tests read them). */
  brightMeans = 0;
  markedSamples = 0;
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
    // Every shader program now, while the view starts, and one draw of a dot: software WebGL
    // builds the pipeline of the many-class means on their first draw, which blocked the page
    // ~100 ms longer on the first frame of a result of many classes.
    this.renderer.compile(this.scene, this.camera);
    this.#warmDots();
  }

  /** Draws the means' dots once with one dot (cleared at once: the view has no frame yet). */
  #warmDots(): void {
    const g = this.#dots.geometry;
    const one = () => new THREE.BufferAttribute(new Float32Array(3), 3);
    g.setAttribute('position', one());
    g.setAttribute('color', one());
    this.renderer.render(this.scene, this.camera);
    g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(0), 3));
    g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(0), 3));
  }

  setTheme(theme: Theme): void {
    this.#theme = theme;
    this.renderer.setClearColor(new THREE.Color(theme.background), 1);
    // Dimmed colours lean toward the background: recomputed for the new one.
    this.#meansColoured = null;
    this.#cloudColoured = null;
    if (this.#frame) {
      this.#buildIdeal(this.#frame);
      if (this.#highlight || this.#sampleStyle.highlight !== 'none') this.#restyle(this.#frame);
    }
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

  /** Device pixels per CSS pixel of the canvas (a figure at 2× or 3× renders at that). */
  setPixelRatio(ratio: number): void {
    this.renderer.setPixelRatio(ratio);
    this.#fitCanvas();
  }

  get pixelRatio(): number {
    return this.renderer.getPixelRatio();
  }

  /** The selected classes (positions): they keep their colour and grow, the others dim. */
  setHighlight(positions: number[] | null): void {
    this.#highlight = positions && positions.length ? new Set(positions) : null;
    if (this.#frame) this.#restyle(this.#frame);
  }

  setSampleStyle(style: SampleStyle): void {
    this.#sampleStyle = { ...style };
    if (this.#frame) this.#restyle(this.#frame);
  }

  #restyle(frame: ViewFrame): void {
    this.#colourMeans(frame);
    this.#updateMeans(frame);
    this.#updateErrors(frame);
    this.#updateWeights(frame);
    this.#updateCloud(frame);
    this.requestRender();
  }

  /** A class's colour, dimmed toward the background when others are selected. */
  #classColour(cls: number, out = new THREE.Color()): THREE.Color {
    out.copy(classRgb(cls));
    if (this.#highlight && !this.#highlight.has(cls))
      out.lerp(new THREE.Color(this.#theme.background), DIM);
    return out;
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
    this.#colourMeans(frame);
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
    if (this.#pending || this.#deferred) return;
    this.#pending = requestAnimationFrame(() => {
      this.#pending = 0;
      // Many classes: the draw in a task of its own after this frame. A new result or epoch
      // also lays the page out in this frame, and software WebGL's draw of 10⁴ dots, which
      // the frame that shows it waits for, would add to that layout in one long task.
      if ((this.#frame?.means.length ?? 0) > FOCUS_CLASSES)
        this.#deferred = window.setTimeout(() => {
          this.#deferred = 0;
          this.render();
        }, 0);
      else this.render();
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
    if (this.onRender) this.onRender(this.screenPoints(this.#labelled()));
  }

  /**
   * The position (index into the frame's classes) under the pointer, labelled besides the
   * focus (EtfView sets it).
   */
  hovered: number | null = null;

  /** Positions that may carry a label: all, or with many classes the focus and the hovered. */
  #labelled(): number[] | undefined {
    const f = this.#frame;
    if (!f || f.means.length <= FOCUS_CLASSES) return undefined;
    // Many classes and no focus yet (a new result's first frames): the hovered class only,
    // rather than projecting and placing 10⁴ labels.
    const out = this.#focus ? this.#focused(f) : [];
    if (this.hovered !== null && this.hovered < f.means.length && !out.includes(this.hovered))
      out.push(this.hovered);
    return out;
  }

  /** Where each drawn class mean (or those at `only`) lands on screen (CSS px). */
  screenPoints(only?: number[]): ScreenPoint[] {
    const f = this.#frame;
    if (!f || f.radius <= 0) return [];
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const v = new THREE.Vector3();
    const at = (index: number): ScreenPoint => {
      const p = f.means[index];
      v.set(p[0], p[1], p[2]).divideScalar(f.radius).project(this.camera);
      return { index, x: ((v.x + 1) / 2) * w, y: ((1 - v.y) / 2) * h, depth: v.z };
    };
    // Every frame of 10⁴ classes projected every mean: only the labelled ones are needed.
    return only ? only.map(at) : f.means.map((_, index) => at(index));
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
    clearTimeout(this.#deferred);
    this.#resize.disconnect();
    this.controls.dispose();
    for (const m of [this.#means, this.#idealMarks, this.#cones]) disposeObject(m);
    for (const l of [this.#edges, this.#errors, this.#shafts, this.#dots]) disposeObject(l);
    if (this.#cloud) disposeObject(this.#cloud);
    if (this.#marked) disposeObject(this.#marked);
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

  /**
   * The meshes' materials, kept across rebuilds: disposing a material releases its shader
   * program, and software WebGL takes ~100 ms to compile one again on the next frame.
   */
  #meanMaterial = new THREE.MeshLambertMaterial();
  // Ideal vertices: wire octahedra larger than the spheres and drawn on top, so a mean sitting
  // exactly on its vertex still shows the vertex around it.
  #markMaterial = new THREE.MeshBasicMaterial({
    wireframe: true,
    transparent: true,
    opacity: 0.7,
    depthTest: false,
  });
  #coneMaterial = new THREE.MeshLambertMaterial();

  /**
   * Means, ideal-vertex marks and classifier cones for k classes (not yet in the scene). Beyond
   * FOCUS_CLASSES the means are dots and the marks and cones are drawn for the focus only: their
   * instance buffers hold `focus` instances (grown by #fitFocus), not k, so a frame uploads a
   * few kB rather than 10⁴ matrices.
   */
  #meshes(
    k: number,
    focus = FOCUS_CLASSES,
  ): [THREE.InstancedMesh, THREE.InstancedMesh, THREE.InstancedMesh] {
    const s = this.#size;
    const dots = k > FOCUS_CLASSES;
    const means = instanced(meanGeometry(k, s), this.#meanMaterial, dots ? 0 : k);
    const [marks, cones] = this.#focusMeshes(k, dots ? focus : k);
    return [means, marks, cones];
  }

  /** The ideal-vertex marks and classifier cones of k classes, with room for n instances. */
  #focusMeshes(k: number, n: number): [THREE.InstancedMesh, THREE.InstancedMesh] {
    const s = this.#size;
    const marks = instanced(new THREE.OctahedronGeometry(s * 1.6), this.#markMaterial, n);
    marks.renderOrder = 11;
    const cones = instanced(
      new THREE.ConeGeometry(s * 0.55, s * 2, k > 300 ? 5 : 12).translate(0, -s, 0),
      this.#coneMaterial,
      n,
    );
    return [marks, cones];
  }

  /** Room for n focused classes in the marks and cones (rebuilt, larger, when short). */
  #fitFocus(frame: ViewFrame, n: number): void {
    if (n <= this.#idealMarks.instanceMatrix.count) return;
    const room = Math.max(n, 2 * this.#idealMarks.instanceMatrix.count);
    for (const m of [this.#idealMarks, this.#cones]) {
      this.scene.remove(m);
      m.geometry.dispose();
      m.dispose();
    }
    [this.#idealMarks, this.#cones] = this.#focusMeshes(frame.means.length, room);
    this.#idealMarks.visible = this.#layers.ideal;
    this.#cones.visible = this.#layers.weights;
    this.scene.add(this.#idealMarks, this.#cones);
  }

  /** Replaces the meshes by ones for k classes, coloured by `frame`'s classes. */
  #buildMeshes(k: number, frame?: ViewFrame): void {
    for (const m of [this.#means, this.#idealMarks, this.#cones]) {
      this.scene.remove(m);
      // Geometry and instance buffers only: the materials stay (#meanMaterial).
      m.geometry.dispose();
      m.dispose();
    }
    const dots = k > FOCUS_CLASSES;
    [this.#means, this.#idealMarks, this.#cones] = this.#meshes(
      k,
      Math.max(FOCUS_CLASSES, this.#focus?.length ?? 0),
    );
    const g = this.#dots.geometry;
    g.setAttribute('position', new THREE.BufferAttribute(new Float32Array(dots ? k * 3 : 0), 3));
    g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(dots ? k * 3 : 0), 3));
    setSegments(this.#edges, [], []);
    setSegments(this.#errors, [], []);
    setSegments(this.#shafts, [], []);
    this.#meansColoured = null;
    if (frame) this.#colourMeans(frame);
    this.scene.add(this.#means, this.#idealMarks, this.#cones);
  }

  /** The means' colours (O(C)), when the classes drawn or the selection changed. */
  #colourMeans(frame: ViewFrame): void {
    const done = this.#meansColoured;
    if (done && done.classes === frame.classes && done.highlight === this.#highlight) return;
    this.#meansColoured = { classes: frame.classes, highlight: this.#highlight };
    const dots = frame.means.length > FOCUS_CLASSES;
    const colors = this.#dots.geometry.getAttribute('color') as THREE.BufferAttribute;
    const color = new THREE.Color();
    let bright = 0;
    frame.classes.forEach((cls, i) => {
      this.#classColour(cls, color);
      if (!this.#highlight || this.#highlight.has(cls)) bright++;
      if (dots) colors.setXYZ(i, color.r, color.g, color.b);
      else this.#means.setColorAt(i, color);
    });
    this.brightMeans = bright;
    if (dots) colors.needsUpdate = true;
    else if (this.#means.instanceColor) this.#means.instanceColor.needsUpdate = true;
  }

  #positions: { classes: number[]; at: Map<number, number> } | null = null;

  /** Indices (into the frame's classes) of the classes in focus. */
  #focused(frame: ViewFrame): number[] {
    if (!this.#focus) return frame.classes.map((_, i) => i);
    // One map per list of classes (a frame update asks three times, for 10⁴ classes).
    if (this.#positions?.classes !== frame.classes)
      this.#positions = {
        classes: frame.classes,
        at: new Map(frame.classes.map((cls, i) => [cls, i])),
      };
    const at = this.#positions.at;
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
    const grown = new THREE.Vector3(1.6, 1.6, 1.6);
    const one = new THREE.Vector3(1, 1, 1);
    const q = new THREE.Quaternion();
    frame.means.forEach((p, i) => {
      // Selected classes' spheres are larger.
      const big = this.#highlight?.has(frame.classes[i]);
      m.compose(this.#unit(frame, p), q, big ? grown : one);
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
    this.#fitFocus(frame, shown.length);
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
      this.#classColour(frame.classes[i], c);
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
    this.#fitFocus(frame, shown.length);
    shown.forEach((i, slot) => {
      const tip = this.#unit(frame, weights[i]);
      this.#classColour(frame.classes[i], c);
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
      this.markedSamples = 0;
      if (this.#marked) this.#marked.geometry.setDrawRange(0, 0);
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
    const done = this.#cloudColoured;
    const style = this.#sampleStyle;
    if (
      !done ||
      done.classes !== s.classes ||
      done.highlight !== this.#highlight ||
      done.style.colour !== style.colour ||
      done.style.highlight !== style.highlight
    ) {
      this.#cloudColoured = { classes: s.classes, style, highlight: this.#highlight };
      this.#colourCloud(s, n);
    }
    this.#cloudCount = n;
    this.#placeMarked(arr);
  }

  /**
   * The cloud's colours (O(n)): by true class or a decision; samples of unselected classes,
   * and with a highlight the samples it does not pick, dimmed; the picked ones also go into
   * the marked overlay.
   */
  #colourCloud(s: NonNullable<ViewFrame['samples']>, n: number): void {
    const g = this.#cloud!.geometry;
    const col = g.getAttribute('color') as THREE.BufferAttribute;
    const carr = col.array as Float32Array;
    const { colour, highlight } = this.#sampleStyle;
    const by = colour === 'ncc' ? s.ncc : colour === 'classifier' ? s.classifier : undefined;
    const picked = samplePicker(s, highlight);
    const bright = new Map<number, THREE.Color>();
    const dim = new Map<number, THREE.Color>();
    const bg = new THREE.Color(this.#theme.background);
    const sel = this.#highlight;
    const marked: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = by ? by[i] : s.classes[i];
      const isPicked = picked ? picked(i) : true;
      const off = !isPicked || (sel !== null && !sel.has(s.classes[i]));
      const cache = off ? dim : bright;
      let kc = cache.get(k);
      if (!kc) {
        kc = classRgb(k).clone();
        if (off) kc.lerp(bg, DIM);
        cache.set(k, kc);
      }
      carr[i * 3] = kc.r;
      carr[i * 3 + 1] = kc.g;
      carr[i * 3 + 2] = kc.b;
      if (picked && !off) marked.push(i);
    }
    col.clearUpdateRanges();
    col.addUpdateRange(0, n * 3);
    col.needsUpdate = true;
    this.#markedOf = Uint32Array.from(marked);
    this.markedSamples = picked ? marked.length : 0;
    const m = this.#markedPoints();
    const mcol = m.geometry.getAttribute('color') as THREE.BufferAttribute;
    const marr = mcol.array as Float32Array;
    for (let o = 0; o < marked.length; o++) {
      const i = marked[o];
      marr.set(carr.subarray(i * 3, i * 3 + 3), o * 3);
    }
    mcol.clearUpdateRanges();
    mcol.addUpdateRange(0, marked.length * 3);
    mcol.needsUpdate = true;
  }

  /** The overlay of highlighted samples (allocated once, MAX_SAMPLES). */
  #markedPoints(): THREE.Points {
    if (!this.#marked) {
      const g = new THREE.BufferGeometry();
      const pos = new THREE.BufferAttribute(new Float32Array(MAX_SAMPLES * 3), 3);
      pos.setUsage(THREE.DynamicDrawUsage);
      g.setAttribute('position', pos);
      g.setAttribute('color', new THREE.BufferAttribute(new Float32Array(MAX_SAMPLES * 3), 3));
      g.setDrawRange(0, 0);
      this.#marked = new THREE.Points(
        g,
        new THREE.PointsMaterial({ size: 5, sizeAttenuation: false, vertexColors: true }),
      );
      this.#marked.frustumCulled = false;
      this.#marked.renderOrder = 5;
      this.scene.add(this.#marked);
    }
    return this.#marked;
  }

  /** The marked samples' positions, from the cloud's (already scaled) ones. */
  #placeMarked(arr: Float32Array): void {
    if (!this.#marked) return;
    const of = this.#markedOf;
    const pos = this.#marked.geometry.getAttribute('position') as THREE.BufferAttribute;
    const parr = pos.array as Float32Array;
    for (let o = 0; o < of.length; o++) parr.set(arr.subarray(of[o] * 3, of[o] * 3 + 3), o * 3);
    pos.clearUpdateRanges();
    pos.addUpdateRange(0, of.length * 3);
    pos.needsUpdate = true;
    this.#marked.geometry.setDrawRange(0, of.length);
  }

  /** The drawn sample (index into the frame's samples) nearest a point, within `radius` px. */
  pickSample(x: number, y: number, radius = 6): number | null {
    const f = this.#frame;
    const s = f?.samples;
    if (!f || !s || !this.#layers.samples || !this.#cloud) return null;
    const w = this.canvas.clientWidth;
    const h = this.canvas.clientHeight;
    const inv = f.radius > 0 ? 1 / f.radius : 1;
    const e = new THREE.Matrix4().multiplyMatrices(
      this.camera.projectionMatrix,
      this.camera.matrixWorldInverse,
    ).elements;
    const p = s.positions;
    // Marked samples first: they are drawn on top.
    const order = this.markedSamples ? this.#markedOf : null;
    let best: number | null = null;
    let bestD = radius * radius;
    const test = (i: number) => {
      const px = p[i * 3] * inv;
      const py = p[i * 3 + 1] * inv;
      const pz = p[i * 3 + 2] * inv;
      const cw = e[3] * px + e[7] * py + e[11] * pz + e[15];
      if (cw <= 0) return;
      const sx = (((e[0] * px + e[4] * py + e[8] * pz + e[12]) / cw + 1) / 2) * w;
      const sy = ((1 - (e[1] * px + e[5] * py + e[9] * pz + e[13]) / cw) / 2) * h;
      const d = (sx - x) ** 2 + (sy - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = i;
      }
    };
    if (order) for (const i of order) test(i);
    if (best === null) for (let i = 0; i < this.#cloudCount; i++) test(i);
    return best;
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
    if (this.#marked) this.#marked.visible = l.samples;
  }
}

/** Whether sample i is picked out by a highlight; null for none (or decisions unknown). */
function samplePicker(
  s: NonNullable<ViewFrame['samples']>,
  highlight: SampleStyle['highlight'],
): ((i: number) => boolean) | null {
  const { classes, ncc, classifier } = s;
  if (highlight === 'classifier-wrong' && classifier) return (i) => classifier[i] !== classes[i];
  if (highlight === 'ncc-wrong' && ncc) return (i) => ncc[i] !== classes[i];
  if (highlight === 'disagree' && ncc && classifier) return (i) => classifier[i] !== ncc[i];
  return null;
}
