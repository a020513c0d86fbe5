// Three sounds a steward tells apart without looking (and vibration where the phone has it):
// ok rises, already-used repeats one middle tone, refused is one long low buzz. Browsers keep audio
// muted until the user touches the page, so the first tap or key press unlocks it.
const PATTERNS = {
  ok: { tones: [[660, 0, 0.09], [990, 0.1, 0.14]], wave: 'sine', vibrate: [60] },
  already: { tones: [[520, 0, 0.12], [520, 0.2, 0.12]], wave: 'square', vibrate: [80, 80, 80] },
  refused: { tones: [[180, 0, 0.55]], wave: 'sawtooth', vibrate: [400] },
};
let audio;

export function unlockOnFirstGesture() {
  const unlock = () => {
    audio ??= new AudioContext();
    audio.resume();
    removeEventListener('pointerdown', unlock);
    removeEventListener('keydown', unlock);
  };
  addEventListener('pointerdown', unlock);
  addEventListener('keydown', unlock);
}

export function play(kind) {
  const pattern = PATTERNS[kind];
  if (navigator.vibrate && navigator.userActivation?.hasBeenActive) navigator.vibrate(pattern.vibrate);
  if (!audio || audio.state !== 'running') return;
  const start = audio.currentTime + 0.01;
  for (const [frequency, offset, length] of pattern.tones) {
    const oscillator = audio.createOscillator();
    const gain = audio.createGain();
    oscillator.type = pattern.wave;
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.25, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + length);
    oscillator.connect(gain).connect(audio.destination);
    oscillator.start(start + offset);
    oscillator.stop(start + offset + length + 0.02);
  }
}
