// Files picked or dropped in the composer before they are sent: each is read, uploaded through
// the Go side (online only: files are not queued offline), then sent with the reply. Pure state
// transitions, so the chips' behaviour is testable without a DOM.

import type { Attachment, WireError } from '../types';

/** The largest file the app uploads (the Go side refuses larger ones too). */
export const MAX_ATTACHMENT_BYTES = 100 * 1024 * 1024;

export type PendingState = 'reading' | 'uploading' | 'ready' | 'error';

export interface PendingAttachment {
  id: number;
  name: string;
  size: number;
  mime: string;
  state: PendingState;
  /** 0..1 while reading the file; uploading has no measurable progress (one binding call). */
  progress: number;
  error?: WireError;
  /** The server's attachment once uploaded. */
  attachment?: Attachment;
}

let seq = 0;

/** New chips for picked files; a file over the limit is an error chip at once. */
export function addPending(list: PendingAttachment[], files: Array<{ name: string; size: number; type?: string }>): PendingAttachment[] {
  const added = files.map((f): PendingAttachment => {
    const base = { id: ++seq, name: f.name || 'file', size: f.size, mime: f.type || 'application/octet-stream', progress: 0 };
    if (f.size > MAX_ATTACHMENT_BYTES) return { ...base, state: 'error', error: { code: 'body_too_large', message: 'a file may be at most 100 MB' } };
    if (f.size === 0) return { ...base, state: 'error', error: { code: 'invalid_field', message: 'the file is empty', field: 'file' } };
    return { ...base, state: 'reading' };
  });
  return [...list, ...added];
}

function patch(list: PendingAttachment[], id: number, p: Partial<PendingAttachment>): PendingAttachment[] {
  return list.map((a) => (a.id === id ? { ...a, ...p } : a));
}

export const setProgress = (list: PendingAttachment[], id: number, progress: number) =>
  patch(list, id, { progress: Math.max(0, Math.min(1, progress)) });
export const markUploading = (list: PendingAttachment[], id: number) => patch(list, id, { state: 'uploading', progress: 1 });
export const markReady = (list: PendingAttachment[], id: number, attachment: Attachment) =>
  patch(list, id, { state: 'ready', progress: 1, attachment, error: undefined });
export const markFailed = (list: PendingAttachment[], id: number, error: WireError) => patch(list, id, { state: 'error', error });
export const removePending = (list: PendingAttachment[], id: number) => list.filter((a) => a.id !== id);

/** Whether a file is still being read or uploaded (sending waits for it). */
export const busy = (list: PendingAttachment[]) => list.some((a) => a.state === 'reading' || a.state === 'uploading');

/** The uploaded attachments to send with the reply. */
export const readyAttachments = (list: PendingAttachment[]): Attachment[] =>
  list.filter((a) => a.state === 'ready' && a.attachment).map((a) => a.attachment!);

/** Whether the reply can be sent: text or at least one uploaded file, nothing in flight. */
export const canSend = (text: string, list: PendingAttachment[]) => !busy(list) && (text.trim() !== '' || readyAttachments(list).length > 0);

/** After sending: the sent files go, failed chips stay so the agent sees what was not sent. */
export const afterSend = (list: PendingAttachment[]) => list.filter((a) => a.state !== 'ready');

/** 1.2 MB style sizes. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The base64 body of a data: URL (what FileReader.readAsDataURL gives). */
export function dataURLBase64(url: string): string {
  const i = url.indexOf(',');
  return i >= 0 ? url.slice(i + 1) : url;
}
