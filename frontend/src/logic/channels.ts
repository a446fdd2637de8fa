// The admin channel form: which fields and credentials each channel type has, and the request
// it sends. Credentials are write-only: the form never holds a stored value (the server gives
// only their names), and a credential is sent only when the admin typed one.

import type { ChannelAccount, ChannelRequest, ChannelType } from '../types';

export const CHANNEL_TYPES: ChannelType[] = ['whatsapp', 'messenger', 'instagram', 'telegram'];

export function credentialNames(type: string): string[] {
  return type === 'telegram' ? ['token', 'secret_token'] : ['token', 'app_secret', 'verify_token'];
}

export const isMeta = (type: string) => type !== 'telegram';
export const hasHumanAgent = (type: string) => type === 'messenger' || type === 'instagram';
export const hasWaba = (type: string) => type === 'whatsapp';

export interface ChannelForm {
  id: number; // 0: a new account
  type: ChannelType;
  name: string;
  enabled: boolean;
  base_url: string;
  api_version: string;
  account_id: string;
  waba_id: string;
  human_agent: boolean;
  /** What the admin typed; '' = keep the stored one (or none). */
  credentials: Record<string, string>;
  /** Names of the credentials the server has (for the "set" placeholders). */
  stored: string[];
}

export function newForm(type: ChannelType = 'whatsapp'): ChannelForm {
  return { id: 0, type, name: '', enabled: true, base_url: '', api_version: '', account_id: '', waba_id: '', human_agent: false, credentials: {}, stored: [] };
}

/** The form for an existing account: its settings, and empty credential inputs. */
export function formFromAccount(a: ChannelAccount): ChannelForm {
  return {
    id: a.id,
    type: (CHANNEL_TYPES as string[]).includes(a.type) ? (a.type as ChannelType) : 'whatsapp',
    name: a.name,
    enabled: a.enabled,
    base_url: a.base_url ?? '',
    api_version: a.api_version ?? '',
    account_id: a.account_id ?? '',
    waba_id: a.waba_id ?? '',
    human_agent: !!a.human_agent,
    credentials: {},
    stored: [...(a.credentials ?? [])],
  };
}

/** The request for the form: the settings of the type, and only the credentials typed.
 * Empty optional fields of a new account are left to the server's defaults; an empty API URL
 * or version is never sent. */
export function buildRequest(f: ChannelForm): ChannelRequest {
  const req: ChannelRequest = { name: f.name.trim(), enabled: f.enabled };
  if (f.id === 0) req.type = f.type;
  const opt = (v: string) => (f.id === 0 && v.trim() === '' ? undefined : v.trim());
  // Empty API URL / version: the server's default (new) or the stored one (edit).
  const nonEmpty = (v: string) => (v.trim() === '' ? undefined : v.trim());
  req.base_url = nonEmpty(f.base_url);
  if (isMeta(f.type)) {
    req.api_version = nonEmpty(f.api_version);
    req.account_id = f.account_id.trim();
  } else {
    req.account_id = opt(f.account_id);
  }
  if (hasWaba(f.type)) req.waba_id = opt(f.waba_id);
  if (hasHumanAgent(f.type)) req.human_agent = f.human_agent;
  const creds: Record<string, string> = {};
  for (const n of credentialNames(f.type)) {
    const v = f.credentials[n] ?? '';
    if (v !== '') creds[n] = v;
  }
  if (Object.keys(creds).length > 0) req.credentials = creds;
  for (const k of Object.keys(req) as Array<keyof ChannelRequest>) if (req[k] === undefined) delete req[k];
  return req;
}

/** The URL to give the provider: the server URL and the account's webhook path. */
export function webhookURL(serverURL: string, path: string): string {
  if (!path) return '';
  return serverURL.replace(/\/+$/, '') + (path.startsWith('/') ? path : '/' + path);
}
