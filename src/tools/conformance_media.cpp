// Tiny media files for the image/audio fixtures, assembled byte by byte (PNG with a stored
// deflate block, RIFF/WAVE PCM) so no binary blobs live in the source.

#include <array>
#include <cstdint>
#include <string>

#include "mcp/json_io.hpp"
#include "tools/conformance_fixtures.hpp"

namespace mcpgate::tools::conformance {

namespace {

void put_be32(std::string& out, uint32_t v) {
  out += static_cast<char>((v >> 24) & 0xFF);
  out += static_cast<char>((v >> 16) & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
  out += static_cast<char>(v & 0xFF);
}

void put_le16(std::string& out, uint32_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>((v >> 8) & 0xFF);
}

void put_le32(std::string& out, uint32_t v) {
  put_le16(out, v & 0xFFFF);
  put_le16(out, v >> 16);
}

uint32_t crc32(const std::string& data) {
  static const auto table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t n = 0; n < 256; ++n) {
      uint32_t c = n;
      for (int k = 0; k < 8; ++k) {
        c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
      }
      t[n] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFU;
  for (char ch : data) {
    c = table[(c ^ static_cast<unsigned char>(ch)) & 0xFF] ^ (c >> 8);
  }
  return c ^ 0xFFFFFFFFU;
}

uint32_t adler32(const std::string& data) {
  uint32_t a = 1;
  uint32_t b = 0;
  for (char ch : data) {
    a = (a + static_cast<unsigned char>(ch)) % 65521;
    b = (b + a) % 65521;
  }
  return (b << 16) | a;
}

void put_chunk(std::string& png, const char* type, const std::string& data) {
  put_be32(png, static_cast<uint32_t>(data.size()));
  std::string body = type;
  body += data;
  png += body;
  put_be32(png, crc32(body));
}

std::string make_png() {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_be32(ihdr, 1);             // width
  put_be32(ihdr, 1);             // height
  ihdr += static_cast<char>(8);  // bit depth
  ihdr += static_cast<char>(6);  // colour type RGBA
  ihdr += std::string(3, '\0');  // compression, filter, interlace
  put_chunk(png, "IHDR", ihdr);
  // One scanline: filter type 0, then one red opaque pixel.
  const std::string raw("\x00\xff\x00\x00\xff", 5);
  std::string zlib("\x78\x01", 2);
  zlib += static_cast<char>(0x01);  // final stored block
  put_le16(zlib, static_cast<uint32_t>(raw.size()));
  put_le16(zlib, static_cast<uint32_t>(~raw.size() & 0xFFFF));
  zlib += raw;
  put_be32(zlib, adler32(raw));
  put_chunk(png, "IDAT", zlib);
  put_chunk(png, "IEND", "");
  return png;
}

std::string make_wav() {
  constexpr uint32_t kRate = 8000;
  constexpr uint32_t kSamples = 8;
  std::string data(kSamples * 2, '\0');
  std::string wav = "RIFF";
  put_le32(wav, 36 + static_cast<uint32_t>(data.size()));
  wav += "WAVEfmt ";
  put_le32(wav, 16);
  put_le16(wav, 1);  // PCM
  put_le16(wav, 1);  // mono
  put_le32(wav, kRate);
  put_le32(wav, kRate * 2);
  put_le16(wav, 2);   // block align
  put_le16(wav, 16);  // bits per sample
  wav += "data";
  put_le32(wav, static_cast<uint32_t>(data.size()));
  wav += data;
  return wav;
}

}  // namespace

nlohmann::json no_args_schema() { return {{"type", "object"}, {"properties", nlohmann::json::object()}}; }

const std::string& png_base64() {
  static const std::string encoded = mcp::base64_encode(make_png());
  return encoded;
}

const std::string& wav_base64() {
  static const std::string encoded = mcp::base64_encode(make_wav());
  return encoded;
}

}  // namespace mcpgate::tools::conformance
