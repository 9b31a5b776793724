#include "crypto/master_key.hpp"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/encoding.hpp"
#include "crypto/hash.hpp"
#include "crypto/random.hpp"

namespace mcpgate::crypto {
namespace {

// strerror() is not thread-safe; the generic category's message is.
std::string errno_text() {
  return std::error_code(errno, std::generic_category()).message();
}

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return make_error(ErrorCode::kInternal,
                    "master key: " + what + " " + path.string() + ": " + errno_text());
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}

  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  int get() const { return fd_; }

 private:
  int fd_;
};

Status write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return make_error(ErrorCode::kInternal, "write: " + errno_text());
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

void fsync_dir(const std::filesystem::path& dir) {
  const Fd fd(::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) {
    ::fsync(fd.get());
  }
}

// Writes a new key next to `file` and links it into place; EEXIST from link() means another
// process won the race, and its key is the one to load.
Status create(const std::filesystem::path& file) {
  std::string key = random_bytes(kMasterKeyBytes);
  const std::filesystem::path tmp =
      file.string() + ".tmp." + std::to_string(::getpid()) + "." + random_token(6);
  Status written;
  {
    const Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
      OPENSSL_cleanse(key.data(), key.size());
      return io_error("cannot create", tmp);
    }
    written = write_all(fd.get(), key);
    if (written && ::fsync(fd.get()) != 0) {
      written = io_error("fsync", tmp);
    }
  }
  OPENSSL_cleanse(key.data(), key.size());
  if (!written) {
    ::unlink(tmp.c_str());
    return written;
  }
  const int rc = ::link(tmp.c_str(), file.c_str());
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && link_errno != EEXIST) {
    errno = link_errno;
    return io_error("cannot install", file);
  }
  fsync_dir(file.parent_path());
  return {};
}

}  // namespace

Result<MasterKey> MasterKey::load(const std::filesystem::path& file, Create mode) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    const Fd fd(::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (fd.get() < 0) {
      if (errno == ENOENT && mode == Create::kIfMissing && attempt == 0) {
        MCPGATE_TRY(create(file));
        continue;
      }
      if (errno == ENOENT) {
        return make_error(ErrorCode::kNotFound, "master key: " + file.string() + " is missing");
      }
      if (errno == ELOOP) {
        return make_error(ErrorCode::kFailedPrecondition,
                          "master key: " + file.string() + " is a symlink; refusing it");
      }
      return io_error("cannot open", file);
    }
    struct stat st = {};
    if (::fstat(fd.get(), &st) != 0) {
      return io_error("cannot stat", file);
    }
    if (!S_ISREG(st.st_mode)) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "master key: " + file.string() + " is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "master key: " + file.string()
                            + " is readable or writable by group/others; run chmod 600 on it");
    }
    if (st.st_size != static_cast<off_t>(kMasterKeyBytes)) {
      return make_error(ErrorCode::kFailedPrecondition,
                        "master key: " + file.string() + " must be exactly 32 bytes");
    }
    std::string bytes(kMasterKeyBytes, '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::read(fd.get(), bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        OPENSSL_cleanse(bytes.data(), bytes.size());
        return io_error("cannot read", file);
      }
      done += static_cast<std::size_t>(n);
    }
    return MasterKey(std::move(bytes));
  }
  return make_error(ErrorCode::kInternal, "master key: could not create " + file.string());
}

Result<MasterKey> MasterKey::from_bytes(std::string bytes) {
  if (bytes.size() != kMasterKeyBytes) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    return make_error(ErrorCode::kInvalidArgument, "master key: must be 32 bytes");
  }
  return MasterKey(std::move(bytes));
}

MasterKey::~MasterKey() {
  OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string MasterKey::derive(std::string_view purpose) const {
  return hkdf_sha256(bytes_, "", "mcpgate/" + std::string(purpose), 32);
}

AeadKey MasterKey::aead_key(std::string_view purpose) const {
  // derive() always yields 32 bytes, the one size from_bytes accepts.
  return std::move(AeadKey::from_bytes(derive(purpose))).value();
}

std::string MasterKey::fingerprint() const {
  return base64url_encode(hmac_sha256(bytes_, "mcpgate master key fingerprint v1"));
}

}  // namespace mcpgate::crypto
