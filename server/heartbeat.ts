/**
 * Finds sockets whose other end is gone. A phone that walks out of Wi-Fi range closes
 * nothing: without pings its socket, its room and everything queued for it would stay
 * forever. Every interval each socket is pinged; one that has neither answered (pong) nor
 * sent anything since the last ping is dropped. So a vanished phone is gone within two
 * intervals (40 s by default), and its room can unload.
 */
export interface Beating {
	ping(): void;
	terminate(): void;
	/** A socket the server stopped reading (over a budget) cannot be heard; it is not judged. */
	readonly isPaused?: boolean;
}

export const HEARTBEAT_INTERVAL_MS = 20_000;

export class Heartbeat<S extends Beating> {
	private readonly alive = new Map<S, boolean>();
	private timer: ReturnType<typeof setInterval> | null = null;

	constructor(private readonly intervalMs = HEARTBEAT_INTERVAL_MS) {}

	start(): void {
		this.timer ??= setInterval(() => this.tick(), this.intervalMs);
		this.timer.unref?.();
	}

	stop(): void {
		if (this.timer) clearInterval(this.timer);
		this.timer = null;
	}

	add(socket: S): void {
		this.alive.set(socket, true);
	}

	remove(socket: S): void {
		this.alive.delete(socket);
	}

	/** A pong, or any message: the other end is there. */
	heard(socket: S): void {
		if (this.alive.has(socket)) this.alive.set(socket, true);
	}

	tick(): void {
		for (const [socket, alive] of this.alive) {
			if (socket.isPaused) {
				this.alive.set(socket, true);
				continue;
			}
			if (!alive) {
				this.alive.delete(socket);
				socket.terminate();
				continue;
			}
			this.alive.set(socket, false);
			try {
				socket.ping();
			} catch {
				// Already closing; its close event removes it.
			}
		}
	}
}
