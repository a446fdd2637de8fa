// The UI's types. Everything the Go side sends is generated from the Go types themselves into
// types.gen.ts (`make types`, app/tsgen): one definition of each wire type, so the UI cannot
// drift from the server or the app. Here only what the UI adds on top.

export * from './types.gen';

/** The fields the server writes into a timeline entry's free-form data (TimelineEntry.data). */
export interface TimelineData {
  agent_id?: number;
  by?: string; // auto | pull | transfer | take_up | supervisor
  offer_id?: number;
  from_agent_id?: number;
  to_agent_id?: number;
  note?: string;
  reason?: string;
  end_reason_id?: number;
  end_reason?: string;
  head?: boolean;
  // chatbot flows: flow_started, flow_handover, flow_ended, flow_stopped
  flow_id?: number;
  flow?: string;
  version?: number;
  default?: boolean;
  step?: string;
  tag?: string;
  priority?: string;
  text?: string; // an internal note's text
  tags?: string[]; // the tags after a change
}

/** The channel types the admin's channel form offers (the server validates the choice). */
export type ChannelType = 'whatsapp' | 'messenger' | 'instagram' | 'telegram';
