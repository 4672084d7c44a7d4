// The VFS every tenantd SQLite connection opens its files through: SQLite's
// own unix VFS, forwarded call for call, except for one method.
//
// In WAL mode every read transaction calls the file's xShmBarrier twice
// (reading the WAL index header of the -shm map), and the unix VFS makes
// that a memory fence *plus* a lock and unlock of its one process-wide
// mutex ("for redundancy", says its source). Opening and closing a
// database hold that same mutex across system calls (opening, locking and
// truncating the -shm file, unmapping it, closing descriptors), so in a
// server that opens and closes tenant databases all the time, every warm
// read on every event loop queued behind the opens and closes (measured:
// event-loop threads found waiting there in most stack samples of a read
// over 10,000 tenants). A memory fence is what the barrier is for; here it
// is only that.
//
// And the first open of a database in any process resets its -shm file by
// zeroing it rather than truncating it (see vfs.cpp: truncating and
// re-extending it cost 5.5 ms per open on ext4 with `discard`, under that
// same mutex). This one goes through the unix VFS's system-call table, so
// it holds for every connection of the process.
//
// Files, locks and the -shm layout are the unix VFS's own, untouched, so
// other processes using SQLite's default VFS (`tenantd migrate`, `backup`,
// `restore`, the sqlite3 shell) share the databases exactly as before.
#pragma once

namespace tenantd::storage::sqlite {

// The name to pass to sqlite3_open_v2; registers the VFS on first use.
// Thread-safe.
const char* FenceOnlyVfs();

}  // namespace tenantd::storage::sqlite
