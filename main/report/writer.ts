/**
 * A thin layer over pdfkit for the report's layout: headings with bookmarks, paragraphs,
 * tables that repeat their header on every page they cross, SVG charts and images that never
 * straddle a page break, and page footers.
 */
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';
import { FONTS, fontPath, type FontName } from './fonts.ts';

const PAGE = { size: 'A4' as const, margin: 50 };
const INK = '#1a1a1a';
const MUTED = '#555555';

export interface Column {
  header: string;
  width: number;
  align?: 'left' | 'right' | 'center';
  font?: FontName;
}

export interface TableOptions {
  fontSize?: number;
  /** Rows printed bold across the whole width (group titles), by row position. */
  groupRows?: Set<number>;
}

export class ReportWriter {
  readonly doc: PDFKit.PDFDocument;

  constructor(info: { title: string; creator: string; date: Date }) {
    this.doc = new PDFDocument({
      size: PAGE.size,
      margin: PAGE.margin,
      bufferPages: true,
      autoFirstPage: true,
      displayTitle: true,
      lang: 'en',
      info: {
        Title: info.title,
        Creator: info.creator,
        Producer: 'PDFKit',
        CreationDate: info.date,
        ModDate: info.date,
      },
    });
    for (const f of Object.values(FONTS)) this.doc.registerFont(f, fontPath(f));
    this.doc.font(FONTS.regular).fontSize(10).fillColor(INK);
  }

  get width(): number {
    return this.doc.page.width - 2 * PAGE.margin;
  }

  get left(): number {
    return PAGE.margin;
  }

  private get bottom(): number {
    return this.doc.page.height - PAGE.margin;
  }

  /** Starts a new page unless `height` points still fit below the cursor. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  /** A heading, kept on one page with the `keep` points of content that follow it. */
  heading(title: string, level: 1 | 2 = 1, keep = 60): void {
    const size = level === 1 ? 15 : 11.5;
    this.ensureSpace(size + 20 + keep);
    if (this.doc.y > PAGE.margin + 1) this.doc.moveDown(level === 1 ? 0.8 : 0.5);
    if (level === 1) this.doc.outline.addItem(title);
    this.doc
      .font(FONTS.bold)
      .fontSize(size)
      .fillColor(INK)
      .text(title, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.35);
    this.doc.font(FONTS.regular).fontSize(9.5);
  }

  paragraph(text: string, o: { size?: number; muted?: boolean; font?: FontName } = {}): void {
    this.doc
      .font(o.font ?? FONTS.regular)
      .fontSize(o.size ?? 9.5)
      .fillColor(o.muted ? MUTED : INK)
      .text(text, this.left, this.doc.y, { width: this.width, lineGap: 1.5 });
    this.doc.fillColor(INK);
    this.doc.moveDown(0.4);
  }

  /** Label: value lines, labels bold in a fixed column. */
  fields(rows: [string, string][], labelWidth = 110): void {
    for (const [label, value] of rows) {
      this.doc.font(FONTS.regular).fontSize(9.5);
      const h = Math.max(12, this.doc.heightOfString(value, { width: this.width - labelWidth }));
      this.ensureSpace(h);
      const top = this.doc.y;
      this.doc
        .font(FONTS.bold)
        .text(label, this.left, top, { width: labelWidth - 6, lineBreak: false });
      this.doc
        .font(FONTS.regular)
        .text(value, this.left + labelWidth, top, { width: this.width - labelWidth });
      this.doc.y = top + h + 2;
    }
    this.doc.x = this.left;
  }

  private rowHeight(cells: string[], columns: Column[], size: number): number {
    let h = 0;
    cells.forEach((c, i) => {
      this.doc.font(columns[i].font ?? FONTS.regular).fontSize(size);
      const width = columns[i].width - 6;
      // Most cells are one short number: skip the line-wrapping measure for them.
      const oneLine = !c.includes('\n') && this.doc.widthOfString(c) <= width;
      h = Math.max(
        h,
        oneLine ? this.doc.currentLineHeight(true) : this.doc.heightOfString(c, { width }),
      );
    });
    return h + 4;
  }

  private drawRow(
    cells: string[],
    columns: Column[],
    size: number,
    y: number,
    h: number,
    bold: boolean,
  ): void {
    let x = this.left;
    cells.forEach((c, i) => {
      const col = columns[i];
      this.doc
        .font(bold ? FONTS.bold : (col.font ?? FONTS.regular))
        .fontSize(size)
        .fillColor(INK)
        .text(c, x + 3, y + 2, { width: col.width - 6, align: col.align ?? 'left' });
      x += col.width;
    });
    this.doc.y = y + h;
  }

  private header(columns: Column[], size: number): void {
    const cells = columns.map((c) => c.header);
    const h = this.rowHeight(
      cells,
      columns.map((c) => ({ ...c, font: FONTS.bold })),
      size,
    );
    const y = this.doc.y;
    this.doc.rect(this.left, y, this.width, h).fill('#eef1f5');
    this.drawRow(cells, columns, size, y, h, true);
    this.rule();
  }

  /** A grey line across the text width at the cursor: under a table's header and its last row. */
  private rule(): void {
    this.doc
      .moveTo(this.left, this.doc.y)
      .lineTo(this.left + this.width, this.doc.y)
      .lineWidth(0.6)
      .stroke('#888888');
  }

  /**
   * A table; rows never split, and the header row is repeated at the top of each page the
   * table continues on, so a 100-class table reads cleanly across pages.
   */
  table(columns: Column[], rows: string[][], o: TableOptions = {}): void {
    const size = o.fontSize ?? 8;
    this.ensureSpace(3 * (size + 6));
    this.header(columns, size);
    rows.forEach((cells, r) => {
      const group = o.groupRows?.has(r) ?? false;
      const h = group ? size + 8 : this.rowHeight(cells, columns, size);
      // A group title never ends a page: it needs room for at least one row of its own below.
      const keep = group && rows[r + 1] ? this.rowHeight(rows[r + 1], columns, size) : 0;
      if (this.doc.y + h + keep > this.bottom) {
        this.doc.addPage();
        this.header(columns, size);
      }
      const y = this.doc.y;
      if (group) {
        this.doc
          .font(FONTS.bold)
          .fontSize(size + 0.5)
          .fillColor('#2b4c7e')
          .text(cells[0], this.left + 3, y + 4, { width: this.width - 6, lineBreak: false });
        this.doc.fillColor(INK);
        this.doc.y = y + h;
        return;
      }
      if (r % 2 === 1) this.doc.rect(this.left, y, this.width, h).fill('#f7f7f7');
      this.drawRow(cells, columns, size, y, h, false);
    });
    this.rule();
    this.doc.x = this.left;
    this.doc.moveDown(0.6);
  }

  /** Draws an SVG chart `width` points wide at the cursor (keeping its aspect ratio). */
  svg(svg: string, width = this.width, x = this.left): number {
    const w = Number(/width="([\d.]+)"/.exec(svg)?.[1] ?? width);
    const h = Number(/height="([\d.]+)"/.exec(svg)?.[1] ?? width);
    const height = (width * h) / w;
    this.ensureSpace(height + 4);
    const y = this.doc.y;
    // The root's own width/height would win over the options and draw the chart at its pixel
    // size; without them svg-to-pdfkit fits the viewBox into the box we give it.
    const fitted = svg.replace(/^<svg([^>]*?) width="[^"]*" height="[^"]*"/, '<svg$1');
    SVGtoPDF(this.doc, fitted, x, y, {
      width,
      height,
      assumePt: true,
      fontCallback: (_family, bold) => (bold ? FONTS.bold : FONTS.regular),
    });
    // svg-to-pdfkit moves the text cursor as it draws; place it below the chart ourselves.
    this.doc.y = y + height + 6;
    this.doc.x = this.left;
    return height;
  }

  /** Several SVGs side by side in one row, each `width` points wide. */
  svgRow(svgs: string[], width: number, gap: number): void {
    const heights = svgs.map((s) => {
      const w = Number(/width="([\d.]+)"/.exec(s)?.[1]);
      const h = Number(/height="([\d.]+)"/.exec(s)?.[1]);
      return (width * h) / w;
    });
    this.ensureSpace(Math.max(...heights) + 4);
    const y = this.doc.y;
    svgs.forEach((s, i) => {
      this.doc.y = y;
      this.svg(s, width, this.left + i * (width + gap));
    });
    this.doc.y = y + Math.max(...heights) + 6;
  }

  image(png: Uint8Array, maxHeight: number): void {
    this.ensureSpace(Math.min(maxHeight, 200));
    const available = Math.min(maxHeight, this.bottom - this.doc.y);
    this.doc.image(Buffer.from(png), this.left, this.doc.y, {
      fit: [this.width, available],
      align: 'center',
    });
    this.doc.x = this.left;
  }

  /** "title · page i of n" at the foot of every page (written last, over the buffered pages). */
  footers(text: string): void {
    const range = this.doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      this.doc.switchToPage(i);
      const bottomMargin = this.doc.page.margins.bottom;
      // Writing inside the bottom margin would otherwise make pdfkit open a new page.
      this.doc.page.margins.bottom = 0;
      this.doc
        .font(FONTS.regular)
        .fontSize(7.5)
        .fillColor(MUTED)
        .text(`${text} · page ${i + 1} of ${range.count}`, this.left, this.doc.page.height - 32, {
          width: this.width,
          align: 'center',
          lineBreak: false,
        });
      this.doc.page.margins.bottom = bottomMargin;
    }
  }

  /** Ends the document and returns its bytes. */
  finish(): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    return new Promise((resolve, reject) => {
      this.doc.on('data', (c: Buffer) => chunks.push(c));
      this.doc.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))));
      this.doc.on('error', reject);
      this.doc.end();
    });
  }
}
