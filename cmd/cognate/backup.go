package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	sqlstore "github.com/cognate-dev/cognate/storage/sql"
)

// backupCmd is `cognate backup --data <dir> --out <file>`: an online,
// consistent copy of the SQLite database, safe to run while `cognate serve`
// is running on the same data directory (storage/sql DB.Backup). Restoring
// is replacing <data>/cognate.db with the copy while the server is stopped
// (README, "Backup and restore").
func backupCmd() *cobra.Command {
	var data, out string
	cmd := &cobra.Command{
		Use:   "backup",
		Short: "Write a consistent copy of the SQLite database while the server runs",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("backup: --out is required")
			}
			db, err := sqlstore.OpenSQLite(cmd.Context(), filepath.Join(data, "cognate.db"))
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(cmd.Context(), out); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "backup written:", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", env("COGNATE_DATA", "./data"), "data directory holding the SQLite database (COGNATE_DATA)")
	cmd.Flags().StringVar(&out, "out", "", "file to write the copy to; must not exist")
	return cmd
}
