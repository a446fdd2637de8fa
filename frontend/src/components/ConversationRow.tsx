// One row of a conversation list: customer, channel, last message, waiting time, unread count.

import type { ComponentChildren } from 'preact';
import { t } from '../i18n';
import { channelLabel, customerName } from '../logic/inbox';
import { ChannelIcon } from './icons';
import { formatDuration, formatStamp } from '../time';
import type { Conversation } from '../types';

interface Props {
  c: Conversation;
  selected: boolean;
  onOpen: () => void;
  testId: string;
  unread?: number;
  /** Server "now", for waiting times. */
  now: number;
  /** What the waiting time counts from; none when absent. */
  waitingFrom?: number;
  waitingKey?: 'inbox.waiting' | 'queue.waiting';
  /** The customer's message is the latest one: someone is waiting for an answer. */
  urgent?: boolean;
  extra?: ComponentChildren;
  stamp?: number;
  showChannel?: boolean;
}

export function ConversationRow({ c, selected, onOpen, testId, unread = 0, now, waitingFrom, waitingKey = 'inbox.waiting', urgent, extra, stamp, showChannel = true }: Props) {
  return (
    <div
      class={'row' + (selected ? ' selected' : '') + (unread > 0 ? ' unread' : '')}
      data-testid={testId}
      data-conversation-id={c.id}
      role="button"
      tabIndex={0}
      aria-current={selected ? 'true' : undefined}
      onClick={onOpen}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onOpen();
        }
      }}
    >
      <span class={`avatar ch-${c.channel.type}`} aria-hidden="true">
        {customerName(c).slice(0, 1).toLocaleUpperCase('tr-TR')}
      </span>
      <div class="row-main">
        <div class="row-line">
          <span class="row-name">{customerName(c)}</span>
          <span class="row-time">{formatStamp(stamp ?? c.last_message_at ?? c.created_at)}</span>
        </div>
        <div class="row-line">
          <span class="row-preview">{c.last_message_preview || '\u00a0'}</span>
          {unread > 0 ? (
            <span class="badge badge-strong" title={t('inbox.unreadTitle', { n: unread })} data-testid={`unread-${c.id}`}>
              {unread}
            </span>
          ) : null}
        </div>
        <div class="row-line row-meta">
          <span class="row-channel" data-testid={`row-channel-${c.id}`} data-channel={c.channel.type} title={channelLabel(c.channel)}>
            <ChannelIcon type={c.channel.type} size={12} />
            {showChannel ? channelLabel(c.channel) : null}
          </span>
          {waitingFrom ? (
            <span class={'row-wait' + (urgent ? ' urgent' : '')} title={t('inbox.waitingTitle')}>
              {t(waitingKey, { d: formatDuration(now - waitingFrom) })}
            </span>
          ) : null}
          {extra}
        </div>
      </div>
    </div>
  );
}
