// The QR decoder, off the main thread: the barcode-detector ponyfill over zxing-wasm, both vendored
// and served by the app. The wasm URL comes from the page and is fetched at once (not on the first
// frame), so the decoder is ready, and cached by the service worker, before the network goes.
import { BarcodeDetector, prepareZXingModule } from '../vendor/barcode-detector/ponyfill.js';

let detector;
let ready;  // frames that arrive while the wasm still loads wait for it

async function init(wasmUrl) {
  const wasm = new URL(wasmUrl, self.location.origin).href;
  await prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith('.wasm') ? wasm : prefix + path) },
    fireImmediately: true,
  });
  detector = new BarcodeDetector({ formats: ['qr_code'] });  // QR only: no 1D false reads
  self.postMessage({ ready: true });
}

self.onmessage = async ({ data }) => {
  if (data.wasm) {
    ready = init(data.wasm);
    try {
      await ready;
    } catch (error) {
      self.postMessage({ ready: false, error: String(error) });
    }
    return;
  }
  let codes = [];
  try {
    await ready;
    codes = (await detector.detect(data.frame)).map((code) => code.rawValue);
  } finally {
    data.frame.close();
    self.postMessage({ codes });
  }
};
