// The camera: rear camera first, a switch between cameras, the torch where the track offers one.
// Frames go to the decoder worker one at a time (the next is grabbed when the last is decoded), and
// a code just read is ignored for a few seconds, so a ticket held in view is not scanned again and again.
const REPEAT_MS = 3000;
const FRAME_MS = 100;

export class Camera {
  constructor(video, worker, onCode) {
    Object.assign(this, { video, worker, onCode, stream: null, devices: [], deviceIndex: -1, last: null,
                          busy: false, timer: null, torch: false });
    worker.addEventListener('message', ({ data }) => {
      if (!data.codes) return;
      this.busy = false;
      const decodedAt = performance.now();
      for (const code of data.codes) this.#seen(code, decodedAt);
    });
  }

  get running() { return this.stream !== null; }

  async start(deviceId) {
    this.stop();
    const video = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: 'environment' } };
    this.stream = await navigator.mediaDevices.getUserMedia({ video, audio: false });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'videoinput');
    const current = this.track()?.getSettings().deviceId;
    this.deviceIndex = Math.max(0, this.devices.findIndex((d) => d.deviceId === current));
    this.timer = setInterval(() => this.#grab(), FRAME_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.busy = false;
    this.torch = false;
    this.video.srcObject = null;
  }

  track() { return this.stream?.getVideoTracks()[0]; }

  canSwitch() { return this.devices.length > 1; }

  hasTorch() { return !!this.track()?.getCapabilities?.().torch; }

  async switch() {
    const next = this.devices[(this.deviceIndex + 1) % this.devices.length];
    await this.start(next.deviceId);
  }

  async toggleTorch() {
    this.torch = !this.torch;
    await this.track().applyConstraints({ advanced: [{ torch: this.torch }] });
    return this.torch;
  }

  async #grab() {
    if (this.busy || !this.stream || this.video.readyState < 2) return;
    this.busy = true;
    try {
      const frame = await createImageBitmap(this.video);
      this.worker.postMessage({ frame }, [frame]);
    } catch {
      this.busy = false;
    }
  }

  #seen(code, decodedAt) {
    const now = Date.now();
    if (this.last && this.last.code === code && now - this.last.at < REPEAT_MS) return;
    this.last = { code, at: now };
    this.onCode(code, decodedAt);
  }
}
