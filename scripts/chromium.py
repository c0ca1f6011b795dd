"""How Inkpot launches Debian's Chromium, for the browser tests, screenshots and the bench chart.

And how those screenshots and the chart are saved: small indexed PNGs.
"""

import base64
import struct
import zlib
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and none of Chromium's own traffic (updates, sync, safe browsing):
# this machine reaches only 127.0.0.1, and never `playwright install`.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Screenshots of a UI hold few colours: the 256 most used ones (the rest mapped to the nearest
# of them) give an indexed PNG a third the size of Chromium's truecolour one, with no visible loss.
QUANTIZE = """async (png) => {
  const image = new Image();
  image.src = 'data:image/png;base64,' + png;
  await image.decode();
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const rgba = context.getImageData(0, 0, image.width, image.height).data;
  const counts = new Map();
  for (let i = 0; i < rgba.length; i += 4) {
    const colour = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    counts.set(colour, (counts.get(colour) || 0) + 1);
  }
  const palette = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 256).map(([colour]) => colour);
  const slot = new Map(palette.map((colour, i) => [colour, i]));
  const nearest = (colour) => {
    let best = 0, bestDistance = Infinity;
    palette.forEach((candidate, i) => {
      const dr = (candidate >> 16) - (colour >> 16);
      const dg = ((candidate >> 8) & 255) - ((colour >> 8) & 255);
      const db = (candidate & 255) - (colour & 255);
      const distance = 3 * dr * dr + 4 * dg * dg + 2 * db * db;
      if (distance < bestDistance) [best, bestDistance] = [i, distance];
    });
    return best;
  };
  const indices = new Uint8Array(image.width * image.height);
  for (let i = 0, p = 0; i < rgba.length; i += 4, p++) {
    const colour = (rgba[i] << 16) | (rgba[i + 1] << 8) | rgba[i + 2];
    let index = slot.get(colour);
    if (index === undefined) slot.set(colour, index = nearest(colour));
    indices[p] = index;
  }
  let binary = '';
  for (let i = 0; i < indices.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, indices.subarray(i, i + 0x8000));
  }
  return {width: image.width, height: image.height, palette, indices: btoa(binary)};
}"""


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def write_indexed_png(path: Path, width: int, height: int, palette: list[int], indices: bytes):
    """An 8-bit palette PNG, compressed as hard as zlib goes."""
    rows = b"".join(b"\x00" + indices[row * width : (row + 1) * width] for row in range(height))
    plte = b"".join(colour.to_bytes(3, "big") for colour in palette)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0))
        + png_chunk(b"PLTE", plte)
        + png_chunk(b"IDAT", zlib.compress(rows, 9))
        + png_chunk(b"IEND", b"")
    )


def save_small_png(darkroom, screenshot: bytes, path: Path) -> None:
    """Quantize a screenshot in the browser (`darkroom`, a blank page) and save it indexed."""
    image = darkroom.evaluate(QUANTIZE, base64.b64encode(screenshot).decode("ascii"))
    indices = base64.b64decode(image["indices"])
    write_indexed_png(path, image["width"], image["height"], image["palette"], indices)
