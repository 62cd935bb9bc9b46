/**
 * The nine competencies of the community-partnerships credential an annotation on a
 * snapshot can tag. Ids are stable (they are stored); the English labels are here for the
 * server and tests, and in the i18n catalog (`snapshot.competency.<id>`) for the page.
 */
export const COMPETENCIES = [
	{ id: 'knowledge-of-self', label: 'Knowledge of self' },
	{ id: 'knowledge-of-community', label: 'Knowledge of community' },
	{ id: 'initiating-maintaining-partnerships', label: 'Initiating and maintaining partnerships' },
	{ id: 'connecting-assets', label: 'Connecting assets' },
	{ id: 'communicating-across-roles', label: 'Communicating across roles' },
	{ id: 'reflection-assessment', label: 'Reflection and assessment' },
	{ id: 'resolving-conflicts', label: 'Resolving conflicts' },
	{ id: 'authentic-participation', label: 'Authentic participation' },
	{ id: 'power-relations', label: 'Power relations' }
] as const;

export type CompetencyId = (typeof COMPETENCIES)[number]['id'];

export const COMPETENCY_IDS: readonly CompetencyId[] = COMPETENCIES.map((competency) => competency.id);

export function isCompetency(value: unknown): value is CompetencyId {
	return typeof value === 'string' && (COMPETENCY_IDS as readonly string[]).includes(value);
}
