#include "storage/sqlite/vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace tenantd::storage::sqlite {
namespace {

constexpr const char* kName = "tenantd-unix";

sqlite3_vfs* g_unix = nullptr;  // SQLite's default VFS, set once
sqlite3_vfs g_vfs;

// Our file: the unix VFS's own file object lives right behind it.
struct File {
  sqlite3_file base;
  sqlite3_file* real;
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }
const sqlite3_io_methods& M(sqlite3_file* f) { return *Real(f)->pMethods; }

int Close(sqlite3_file* f) { return M(f).xClose(Real(f)); }
int Read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  return M(f).xRead(Real(f), buf, n, off);
}
int Write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  return M(f).xWrite(Real(f), buf, n, off);
}
int Truncate(sqlite3_file* f, sqlite3_int64 size) { return M(f).xTruncate(Real(f), size); }
int Sync(sqlite3_file* f, int flags) { return M(f).xSync(Real(f), flags); }
int FileSize(sqlite3_file* f, sqlite3_int64* size) { return M(f).xFileSize(Real(f), size); }
int Lock(sqlite3_file* f, int level) { return M(f).xLock(Real(f), level); }
int Unlock(sqlite3_file* f, int level) { return M(f).xUnlock(Real(f), level); }
int CheckReservedLock(sqlite3_file* f, int* out) { return M(f).xCheckReservedLock(Real(f), out); }
int FileControl(sqlite3_file* f, int op, void* arg) { return M(f).xFileControl(Real(f), op, arg); }
int SectorSize(sqlite3_file* f) { return M(f).xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) { return M(f).xDeviceCharacteristics(Real(f)); }
int ShmMap(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return M(f).xShmMap(Real(f), region, size, extend, out);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return M(f).xShmLock(Real(f), offset, n, flags);
}
// The one change: a full fence, without the unix VFS's global mutex.
void ShmBarrier(sqlite3_file* /*f*/) { std::atomic_thread_fence(std::memory_order_seq_cst); }
int ShmUnmap(sqlite3_file* f, int delete_flag) { return M(f).xShmUnmap(Real(f), delete_flag); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
  if (M(f).iVersion < 3) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return M(f).xFetch(Real(f), off, n, out);
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return M(f).iVersion < 3 ? SQLITE_OK : M(f).xUnfetch(Real(f), off, p);
}

// Files with shared memory (databases) and without (WAL, journals): SQLite
// tells them apart by a null xShmMap.
constexpr sqlite3_io_methods kWithShm = {3,
                                         &Close,
                                         &Read,
                                         &Write,
                                         &Truncate,
                                         &Sync,
                                         &FileSize,
                                         &Lock,
                                         &Unlock,
                                         &CheckReservedLock,
                                         &FileControl,
                                         &SectorSize,
                                         &DeviceCharacteristics,
                                         &ShmMap,
                                         &ShmLock,
                                         &ShmBarrier,
                                         &ShmUnmap,
                                         &Fetch,
                                         &Unfetch};
constexpr sqlite3_io_methods kWithoutShm = {3,
                                            &Close,
                                            &Read,
                                            &Write,
                                            &Truncate,
                                            &Sync,
                                            &FileSize,
                                            &Lock,
                                            &Unlock,
                                            &CheckReservedLock,
                                            &FileControl,
                                            &SectorSize,
                                            &DeviceCharacteristics,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            nullptr,
                                            &Fetch,
                                            &Unfetch};

int Open(sqlite3_vfs* /*vfs*/, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = reinterpret_cast<File*>(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  const int rc = g_unix->xOpen(g_unix, name, file->real, flags, out_flags);
  // SQLite closes a file whose pMethods is set, even after a failed open.
  if (const sqlite3_io_methods* m = file->real->pMethods; m != nullptr) {
    file->base.pMethods = m->iVersion >= 2 && m->xShmMap != nullptr ? &kWithShm : &kWithoutShm;
  }
  return rc;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_unix->xDelete(g_unix, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_unix->xAccess(g_unix, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_unix->xFullPathname(g_unix, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return g_unix->xDlOpen(g_unix, name); }
void DlError(sqlite3_vfs*, int n, char* out) { g_unix->xDlError(g_unix, n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_unix->xDlSym(g_unix, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { g_unix->xDlClose(g_unix, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return g_unix->xRandomness(g_unix, n, out); }
int Sleep(sqlite3_vfs*, int micros) { return g_unix->xSleep(g_unix, micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return g_unix->xCurrentTime(g_unix, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return g_unix->xGetLastError(g_unix, n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_unix->xCurrentTimeInt64(g_unix, out);
}

// The -shm file: the first connection to attach to a database (no other
// connection in any process has it open) resets the file by truncating it
// to 3 bytes; mapping it then extends it again, a page at a time. On ext4
// that frees and reallocates its blocks (with `discard`, a device trim
// too): measured 5.5 ms per open on the bench machine, under the unix
// VFS's process-wide mutex, i.e. for every open in the process. Zeroing
// the same bytes leaves the file as truncating and extending it would
// (the wal-index is rebuilt from the WAL either way), but only writes
// pages already in the page cache. SQLite holds the exclusive
// dead-man-switch lock of the -shm file when it truncates, so no one else
// is using the file: zeroing is as safe as truncating.
using FtruncateFn = int (*)(int, off_t);
FtruncateFn g_ftruncate = nullptr;

bool IsShmFile(int fd) {
  char link[48];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  char path[PATH_MAX];
  const ssize_t n = ::readlink(link, path, sizeof path);
  return n > 4 && n < static_cast<ssize_t>(sizeof path) &&
         std::memcmp(path + n - 4, "-shm", 4) == 0;
}

int ZeroShmInsteadOfTruncating(int fd, off_t length) {
  // 3 is the length only the -shm reset asks for; anything else (or a
  // file not named *-shm) is a real truncation.
  if (length != 3 || !IsShmFile(fd)) return g_ftruncate(fd, length);
  struct stat st;
  if (::fstat(fd, &st) != 0) return -1;
  static const char kZeros[32768] = {};
  for (off_t at = length; at < st.st_size;) {
    const auto n = static_cast<size_t>(std::min<off_t>(sizeof kZeros, st.st_size - at));
    const ssize_t written = ::pwrite(fd, kZeros, n, at);
    if (written < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    at += written;
  }
  return 0;
}

}  // namespace

const char* FenceOnlyVfs() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    g_unix = sqlite3_vfs_find(nullptr);
    // The unix VFS makes its system calls through a table meant for this.
    g_ftruncate = reinterpret_cast<FtruncateFn>(g_unix->xGetSystemCall(g_unix, "ftruncate"));
    if (g_ftruncate != nullptr) {
      g_unix->xSetSystemCall(g_unix, "ftruncate",
                             reinterpret_cast<sqlite3_syscall_ptr>(&ZeroShmInsteadOfTruncating));
    }
    g_vfs = sqlite3_vfs{};
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_unix->szOsFile;
    g_vfs.mxPathname = g_unix->mxPathname;
    g_vfs.zName = kName;
    g_vfs.xOpen = &Open;
    g_vfs.xDelete = &Delete;
    g_vfs.xAccess = &Access;
    g_vfs.xFullPathname = &FullPathname;
    g_vfs.xDlOpen = &DlOpen;
    g_vfs.xDlError = &DlError;
    g_vfs.xDlSym = &DlSym;
    g_vfs.xDlClose = &DlClose;
    g_vfs.xRandomness = &Randomness;
    g_vfs.xSleep = &Sleep;
    g_vfs.xCurrentTime = &CurrentTime;
    g_vfs.xGetLastError = &GetLastError;
    g_vfs.xCurrentTimeInt64 = &CurrentTimeInt64;
    sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0);
  });
  return kName;
}

}  // namespace tenantd::storage::sqlite
