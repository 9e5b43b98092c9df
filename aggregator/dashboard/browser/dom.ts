/**
 * Building the page's elements. Every string reaches the page as a text node or an attribute
 * value, never through an HTML parser, so an instance id or a message cannot inject markup
 * (the lint config forbids the element properties and calls that parse HTML in this folder).
 */

import type { Badge, DashboardVocabulary } from './vocabulary';

/** The id of the element holding the vocabulary (aggregator/dashboard/page.ts renders it). */
const VOCABULARY_ID = 'dashboard-vocabulary';

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

/** The vocabulary the server rendered into the page as JSON (the words for the report's enums). */
/**
 * Wires the page's token form (#auth): a token typed in is kept for this tab (api.ts saveToken),
 * the form hides and `then` runs, so that the page asks the API again with it.
 */
export function onTokenEntered(save: (token: string) => void, then: () => void): void {
  byId('auth-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId<HTMLInputElement>('auth-token');
    const value = input.value.trim();
    if (!value) return;
    save(value);
    input.value = '';
    byId('auth').hidden = true;
    then();
  });
}

export function readVocabulary(): DashboardVocabulary {
  return JSON.parse(byId(VOCABULARY_ID).textContent ?? '') as DashboardVocabulary;
}

/** A value as a badge: its symbol and its word, coloured by the class `<kind>-<key>`. */
export function badge<K extends string>(
  kind: string,
  key: K,
  table: Readonly<Record<K, Badge>>,
): HTMLElement {
  const entry: Badge = table[key] ?? { label: String(key), symbol: '?' };
  return h('span', { class: `badge ${kind}-${key}` }, [
    h('span', { 'aria-hidden': 'true' }, entry.symbol),
    entry.label,
  ]);
}
