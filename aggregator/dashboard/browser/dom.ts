/**
 * Building the page's elements. Every string reaches the page as a text node or an attribute
 * value, never through an HTML parser, so an instance id or a message cannot inject markup
 * (the lint config forbids the element properties and calls that parse HTML in this folder).
 */

/** What an element may contain: nodes, strings (as text), nothing, or lists of these. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Attribute values; null, undefined and false leave the attribute out, true sets it empty. */
export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>> | null;

/** An identifier, never fetched. */
const SVG_NS = 'http://www.w3.org/2000/svg';

/** The page's element with this id; the page is broken without it, so its absence throws. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`the page has no element #${id}`);
  return el as T;
}

/** Creates an HTML element; strings among the children become text nodes. */
export function h(tag: string, attrs: Attrs = null, children: Child = null): HTMLElement {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** Creates an SVG element; strings among the children become text nodes. */
export function svg(tag: string, attrs: Attrs = null, children: Child = null): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  if (!attrs) return;
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    el.setAttribute(key, value === true ? '' : String(value));
  }
}

export function append(el: Element, children: Child): void {
  if (children === null || children === undefined || children === false) return;
  if (Array.isArray(children)) {
    for (const child of children as readonly Child[]) append(el, child);
    return;
  }
  el.appendChild(
    typeof children === 'object' ? (children as Node) : document.createTextNode(String(children)),
  );
}

/** Replaces an element's children. */
export function replace(el: Element, children: Child): void {
  el.textContent = '';
  append(el, children);
}
