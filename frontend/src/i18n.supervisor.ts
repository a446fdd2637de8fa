// The supervisors' and admins' strings (the dashboard window, admin screens, reports; issue 11),
// merged into the dictionaries of i18n.ts. Turkish first; English must have the same keys.

export const trSupervisor = {
  'err.tag_taken': 'Bu etiket zaten var.',
  'err.tag_unknown': 'Bu etiket listede yok ya da artık kullanılmıyor.',
  'err.already_holder': 'Görüşme zaten bu temsilcide.',
  'err.conversation_moved': 'Görüşme ya da temsilci bu arada değişti; panoya yeniden bakın.',
};

export const enSupervisor: Record<keyof typeof trSupervisor, string> = {
  'err.tag_taken': 'This tag already exists.',
  'err.tag_unknown': 'This tag is not in the list or is no longer in use.',
  'err.already_holder': 'The conversation is already with this agent.',
  'err.conversation_moved': 'The conversation or the agent changed meanwhile; look at the dashboard again.',
};
