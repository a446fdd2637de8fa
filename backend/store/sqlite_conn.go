package store

// Every SQLite connection santrald opens turns on SQLite's query-planner stability guarantee
// (SQLITE_DBCONFIG_ENABLE_QPSG). Without it SQLite plans some statements around the values
// bound to them and marks them to be compiled again whenever a new value is bound: measured
// here, the conversation summary — read on every message — was compiled on every call, and
// compiling cost five times running it. With the guarantee a statement keeps one plan, so the
// statement cache pays off. No santrald query depends on a bound value for its plan (no
// `LIKE ?` prefix scans, no partial indexes chosen by a parameter).
//
// go-sqlite3 has no option for it, so its connect hook calls sqlite3_db_config on the
// connection's handle (the field is unexported: read once through reflect, the pointer is
// C memory, not Go's).

/*
#include <stdlib.h>

typedef struct sqlite3 sqlite3;
int sqlite3_db_config(sqlite3*, int op, ...);

static int santral_enable_qpsg(void *db) {
	int set = 0;
	// 1007: SQLITE_DBCONFIG_ENABLE_QPSG
	return sqlite3_db_config((sqlite3*)db, 1007, 1, &set) == 0 && set == 1 ? 0 : 1;
}
*/
import "C"

import (
	"database/sql"
	"errors"
	"reflect"
	"unsafe"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// sqliteDriver is the name santrald's SQLite connections are opened under.
const sqliteDriver = "santral-sqlite3"

func init() {
	sql.Register(sqliteDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		handle := reflect.ValueOf(c).Elem().FieldByName("db")
		if !handle.IsValid() || handle.Kind() != reflect.Pointer || handle.IsNil() {
			return errors.New("store: unable to reach the SQLite handle to configure it")
		}
		if C.santral_enable_qpsg(unsafe.Pointer(handle.Pointer())) != 0 {
			return errors.New("store: unable to turn on SQLite's query-planner stability guarantee")
		}
		// Checkpoints run beside the commits, not inside one (checkpointer in store.go).
		_, err := c.Exec(`PRAGMA wal_autocheckpoint = 0`, nil)
		return err
	}})
}
