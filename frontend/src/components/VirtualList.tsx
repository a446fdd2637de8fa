// A fixed-row-height virtual list: only the rows in view (plus a few) are in the DOM, so the
// conversation lists stay smooth with thousands of rows.

import type { ComponentChildren } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

/** The rows to render for a scroll position: [start, end) clamped to the list. */
export function visibleRange(scrollTop: number, viewport: number, rowHeight: number, count: number, overscan: number): { start: number; end: number } {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0 };
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const shown = Math.ceil(Math.max(0, viewport) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + shown + overscan);
  return { start: Math.min(start, end), end };
}

// Before the first layout (and in a DOM without layout, as in tests) assume a tall window.
const FALLBACK_VIEWPORT = 900;

interface Props<T> {
  items: T[];
  rowHeight: number;
  getKey: (item: T) => string | number;
  renderRow: (item: T, index: number) => ComponentChildren;
  overscan?: number;
  class?: string;
  label?: string;
  testId?: string;
  /** Called when the last rows come into view (to load the next page). */
  onEndReached?: () => void;
}

export function VirtualList<T>({ items, rowHeight, getKey, renderRow, overscan = 6, label, testId, onEndReached, ...rest }: Props<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(0);
  const frame = useRef(0);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setViewport(el.clientHeight);
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      if (ref.current) setScrollTop(ref.current.scrollTop);
    });
  };
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const { start, end } = visibleRange(scrollTop, viewport || FALLBACK_VIEWPORT, rowHeight, items.length, overscan);

  useEffect(() => {
    if (onEndReached && items.length > 0 && end >= items.length - 3) onEndReached();
  }, [end, items.length]);

  const rows: ComponentChildren[] = [];
  for (let i = start; i < end; i++) {
    const item = items[i];
    rows.push(
      <div key={getKey(item)} class="vrow" role="listitem" style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    <div ref={ref} class={'vlist ' + (rest.class ?? '')} onScroll={onScroll} role="list" aria-label={label} data-testid={testId}>
      <div class="vlist-inner" style={{ height: `${items.length * rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
