package main

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/storage/sql/pgtest"
)

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cognate.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Every key of the file stands for its COGNATE_* variable.
func TestReadConfigFile(t *testing.T) {
	path := writeConfig(t, `
dev: false
addr: 0.0.0.0:8080
data: /data
public_url: https://id.example.com
region: eu-west-1
account_id: "123456789012"
objectstore: false
debug_addr: 127.0.0.1:6060
master_key_file: /run/secrets/master
resource_servers: AKIARS:0123456789abcdef0
developer_credentials: AKIADEV:0123456789abcdef0:eu-west-1:0000
admin:
  access_key_id: AKIAADMIN
  secret_access_key_file: /run/secrets/admin
storage:
  type: postgres
  dsn_file: /run/secrets/dsn
audit:
  retention: 720h
triggers:
  secret_file: /run/secrets/trigger
  timeout: 3s
  functions:
    arn:aws:lambda:eu-west-1:123456789012:function:b: https://hooks.example.com/b
    arn:aws:lambda:eu-west-1:123456789012:function:a: https://hooks.example.com/a
smtp:
  addr: smtp.example.com:587
  from: Example <no-reply@example.com>
  username: mailer
  password_file: /run/secrets/smtp
  tls: starttls
  timeout: 20s
`)
	got, err := readConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"COGNATE_DEV": "false", "COGNATE_ADDR": "0.0.0.0:8080", "COGNATE_DATA": "/data",
		"COGNATE_PUBLIC_URL": "https://id.example.com", "COGNATE_REGION": "eu-west-1", "COGNATE_ACCOUNT_ID": "123456789012",
		"COGNATE_OBJECTSTORE": "false", "COGNATE_DEBUG_ADDR": "127.0.0.1:6060", "COGNATE_MASTER_KEY_FILE": "/run/secrets/master",
		"COGNATE_RESOURCE_SERVERS": "AKIARS:0123456789abcdef0", "COGNATE_DEVELOPER_CREDENTIALS": "AKIADEV:0123456789abcdef0:eu-west-1:0000",
		"COGNATE_ADMIN_ACCESS_KEY_ID": "AKIAADMIN", "COGNATE_ADMIN_SECRET_ACCESS_KEY_FILE": "/run/secrets/admin",
		"COGNATE_POSTGRES_DSN_FILE": "/run/secrets/dsn", "COGNATE_AUDIT_RETENTION": "720h",
		"COGNATE_TRIGGER_SECRET_FILE": "/run/secrets/trigger", "COGNATE_TRIGGER_TIMEOUT": "3s",
		"COGNATE_TRIGGER_FUNCTIONS": "arn:aws:lambda:eu-west-1:123456789012:function:a=https://hooks.example.com/a," +
			"arn:aws:lambda:eu-west-1:123456789012:function:b=https://hooks.example.com/b",
		"COGNATE_SMTP_ADDR": "smtp.example.com:587", "COGNATE_SMTP_FROM": "Example <no-reply@example.com>",
		"COGNATE_SMTP_USERNAME": "mailer", "COGNATE_SMTP_PASSWORD_FILE": "/run/secrets/smtp", "COGNATE_SMTP_TLS": "starttls",
		"COGNATE_SMTP_TIMEOUT": "20s",
	}
	if !maps.Equal(got, want) {
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected %s = %q", k, got[k])
			}
		}
	}
	if empty, err := readConfigFile(writeConfig(t, "")); err != nil || len(empty) != 0 {
		t.Fatalf("empty file: %v, %v", empty, err)
	}
}

func TestReadConfigFileErrors(t *testing.T) {
	for name, text := range map[string]string{
		"unknown key":             "adress: 0.0.0.0:8080\n",
		"unknown nested key":      "storage:\n  kind: postgres\n",
		"unknown storage type":    "storage:\n  type: mysql\n  dsn: x\n",
		"postgres without a dsn":  "storage:\n  type: postgres\n",
		"sqlite with a dsn":       "storage:\n  dsn: postgres://x\n",
		"not YAML of this shape":  "addr: [1, 2]\n",
		"not YAML at all":         "addr: \"unterminated\n",
		"a list instead of a map": "- addr\n",
	} {
		t.Run(name, func(t *testing.T) {
			if vars, err := readConfigFile(writeConfig(t, text)); err == nil {
				t.Fatalf("accepted: %v", vars)
			}
		})
	}
	if _, err := readConfigFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

// migrateIn runs `cognate migrate` with args and reports whether it created
// the SQLite database under dir.
func migrateIn(t *testing.T, dir string, args ...string) bool {
	t.Helper()
	root := rootCmd()
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{"migrate"}, args...))
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("migrate %v: %v", args, err)
	}
	_, err := os.Stat(filepath.Join(dir, "cognate.db"))
	return err == nil
}

// The file applies under the environment, which applies under the flags.
func TestConfigFilePrecedence(t *testing.T) {
	t.Setenv("COGNATE_DATA", "")
	t.Setenv("COGNATE_CONFIG", "")
	t.Setenv("COGNATE_POSTGRES_DSN", "")
	t.Setenv("COGNATE_POSTGRES_DSN_FILE", "")
	fromFile, fromEnv, fromFlag := t.TempDir(), t.TempDir(), t.TempDir()
	config := writeConfig(t, "data: "+fromFile+"\n")

	if !migrateIn(t, fromFile, "--config", config) {
		t.Fatal("the file's data directory was not used")
	}
	t.Setenv("COGNATE_DATA", fromEnv)
	if !migrateIn(t, fromEnv, "--config", config) {
		t.Fatal("the environment did not win over the file")
	}
	if !migrateIn(t, fromFlag, "--config", config, "--data", fromFlag) {
		t.Fatal("the flag did not win over the environment and the file")
	}
	// COGNATE_CONFIG names the file as --config does.
	t.Setenv("COGNATE_DATA", "")
	other := t.TempDir()
	t.Setenv("COGNATE_CONFIG", writeConfig(t, "data: "+other+"\n"))
	if !migrateIn(t, other) {
		t.Fatal("COGNATE_CONFIG was not read")
	}
	// A bad file stops the command.
	root := rootCmd()
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"migrate", "--config", writeConfig(t, "storage:\n  type: mysql\n")})
	if err := root.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), "mysql") {
		t.Fatalf("bad config: %v", err)
	}
}

// storage: {type: postgres, dsn_file: ...} in the file puts the database in
// PostgreSQL (no SQLite file is made under data), and an environment that
// gives the DSN itself wins over the file's dsn_file.
func TestConfigFilePostgres(t *testing.T) {
	dsn := pgtest.FreshSchema(t, pgtest.DSN(t))
	t.Setenv("COGNATE_DATA", "")
	t.Setenv("COGNATE_CONFIG", "")
	t.Setenv("COGNATE_POSTGRES_DSN", "")
	t.Setenv("COGNATE_POSTGRES_DSN_FILE", "")
	secret := filepath.Join(t.TempDir(), "dsn")
	if err := os.WriteFile(secret, []byte(dsn+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	config := writeConfig(t, "data: "+data+"\nstorage:\n  type: postgres\n  dsn_file: "+secret+"\n")
	if migrateIn(t, data, "--config", config) {
		t.Fatal("storage type postgres made a SQLite file")
	}
	// The environment's DSN (here: a bad one) wins over the file's dsn_file.
	t.Setenv("COGNATE_POSTGRES_DSN", "postgres://nobody:wrong@127.0.0.1:1/none?connect_timeout=1")
	root := rootCmd()
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"migrate", "--config", config})
	if err := root.ExecuteContext(t.Context()); err == nil {
		t.Fatal("the file's dsn_file won over the environment's COGNATE_POSTGRES_DSN")
	}
}
