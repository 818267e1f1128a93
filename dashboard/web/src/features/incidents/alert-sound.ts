// A short two-tone chime for a new critical incident, made with Web Audio (no sound file to ship).
// Browsers only allow sound after the user has interacted with the page: logging in counts.
let context: AudioContext | undefined;

export function playAlert(): void {
  try {
    context ??= new AudioContext();
    const now = context.currentTime;
    for (const [i, freq] of [880, 660, 880].entries()) {
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = 'sine';
      osc.frequency.value = freq;
      const start = now + i * 0.22;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      osc.connect(gain).connect(context.destination);
      osc.start(start);
      osc.stop(start + 0.21);
    }
  } catch (err) {
    console.warn('alert sound unavailable', err);
  }
}
