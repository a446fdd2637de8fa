// Files picked or dropped in the composer before they are sent: each is handed to the Go side
// in chunks (which streams it to the server; online only: files are not queued offline), then
// sent with the reply. Pure state transitions, so the chips' behaviour is testable without a
// DOM. Limits and refusals are the Go side's and the server's answers, shown on the chip.

import type { Attachment, WireError } from '../types';

/** Bytes of the file per UploadChunk call. */
export const CHUNK_BYTES = 1024 * 1024;

export type PendingState = 'reading' | 'uploading' | 'ready' | 'error';

export interface PendingAttachment {
  id: number;
  name: string;
  size: number;
  mime: string;
  state: PendingState;
  /** 0..1 while the file is handed over; uploading (to the server) has no measurable progress. */
  progress: number;
  error?: WireError;
  /** The server's attachment once uploaded. */
  attachment?: Attachment;
  /** The Go side's upload id while the file is handed over. */
  upload?: string;
}

let seq = 0;

/** New chips for picked files, each about to be handed over. */
export function addPending(list: PendingAttachment[], files: Array<{ name: string; size: number; type?: string }>): PendingAttachment[] {
  const added = files.map((f): PendingAttachment => ({ id: ++seq, name: f.name || 'file', size: f.size, mime: f.type || 'application/octet-stream', progress: 0, state: 'reading' }));
  return [...list, ...added];
}

function patch(list: PendingAttachment[], id: number, p: Partial<PendingAttachment>): PendingAttachment[] {
  return list.map((a) => (a.id === id ? { ...a, ...p } : a));
}

export const setUpload = (list: PendingAttachment[], id: number, upload: string) => patch(list, id, { upload });
export const setProgress = (list: PendingAttachment[], id: number, progress: number) =>
  patch(list, id, { progress: Math.max(0, Math.min(1, progress)) });
export const markUploading = (list: PendingAttachment[], id: number) => patch(list, id, { state: 'uploading', progress: 1 });
export const markReady = (list: PendingAttachment[], id: number, attachment: Attachment) =>
  patch(list, id, { state: 'ready', progress: 1, attachment, error: undefined, upload: undefined });
export const markFailed = (list: PendingAttachment[], id: number, error: WireError) => patch(list, id, { state: 'error', error, upload: undefined });
export const removePending = (list: PendingAttachment[], id: number) => list.filter((a) => a.id !== id);

/** Whether a file is still being handed over or uploaded (sending waits for it). */
export const busy = (list: PendingAttachment[]) => list.some((a) => a.state === 'reading' || a.state === 'uploading');

/** The uploaded attachments to send with the reply. */
export const readyAttachments = (list: PendingAttachment[]): Attachment[] =>
  list.filter((a) => a.state === 'ready' && a.attachment).map((a) => a.attachment!);

/** Whether there is something to send: text or at least one uploaded file, nothing in flight. */
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
