package runtime

import (
	"io/fs"
	"path/filepath"
)

// walkFiles calls found for every regular file under dir.
func walkFiles(dir string, found func()) error {
	return filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			found()
		}
		return nil
	})
}

