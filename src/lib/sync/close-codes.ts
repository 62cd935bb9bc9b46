/**
 * WebSocket close codes of the sync connection, shared by the server (which sends them)
 * and the page (which explains them). server/RULES.md has the full table.
 *
 * 4400–4499 tell a stock y-websocket client not to reconnect (it emits 'closed'); the
 * others invite a reconnect.
 */
export const CLOSE = {
	/** Malformed or pathological message, text frame, bad map id. */
	malformed: 4400,
	/** Missing, wrong or replaced key (also when the key is replaced while connected). */
	unauthorized: 4401,
	/** Origin not allowed. */
	forbiddenOrigin: 4403,
	/**
	 * Write refused: the update would change the map in a way this connection may not.
	 * The client's copy has diverged from the server's: it must discard it and load the
	 * map again, or every later update would be refused too.
	 */
	writeRefused: 4409,
	/** One message too large, or the map reached its size cap. */
	tooLarge: 4413,
	/** Over the message or work budget for too long; too many connections. */
	rateLimited: 4429,
	/** The server could not save; nothing from that batch was sent to anyone. */
	storageFailed: 4503,
	/** The server could not open the map now (memory is tight); reconnect later. */
	tryAgainLater: 1013,
	/** Server restarting (shutdown). */
	serverRestart: 1012
} as const;

export type CloseCode = (typeof CLOSE)[keyof typeof CLOSE];
