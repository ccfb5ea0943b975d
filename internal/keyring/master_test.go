package keyring_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cognate-dev/cognate/internal/keyring"
)

func TestLoadMasterKeyFromEnv(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb, 0xff, 0x3e}, 11)[:32] // exercises + / - _ in base64
	tests := []struct{ name, env string }{
		{"hex", hex.EncodeToString(key)},
		{"HEX upper", strings.ToUpper(hex.EncodeToString(key))},
		{"std padded", base64.StdEncoding.EncodeToString(key)},
		{"std raw", base64.RawStdEncoding.EncodeToString(key)},
		{"url padded", base64.URLEncoding.EncodeToString(key)},
		{"url raw", base64.RawURLEncoding.EncodeToString(key)},
		{"surrounding whitespace", "  " + base64.StdEncoding.EncodeToString(key) + "\n"},
	}
	// A file that exists must not win over the environment.
	file := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(file, []byte(hex.EncodeToString(make([]byte, 32))), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, generated, err := keyring.LoadMasterKey(tc.env, file, true)
			if err != nil || generated || !bytes.Equal(got, key) {
				t.Fatalf("LoadMasterKey = %x, %v, %v; want %x, false, nil", got, generated, err, key)
			}
		})
	}
}

func TestLoadMasterKeyRejectsBadValues(t *testing.T) {
	secretish := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 31))
	tests := []struct{ name, env string }{
		{"31 bytes", secretish},
		{"33 bytes hex", hex.EncodeToString(make([]byte, 33))},
		{"not base64", "this is not a key!"},
		{"mixed alphabets", "+" + base64.RawURLEncoding.EncodeToString(make([]byte, 32))[1:42] + "_"},
		{"three pad chars", base64.StdEncoding.EncodeToString(make([]byte, 32)) + "=="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := keyring.LoadMasterKey(tc.env, "", false)
			if err == nil {
				t.Fatal("want error")
			}
			if !strings.Contains(err.Error(), "COGNATE_MASTER_KEY") {
				t.Errorf("error %q does not name COGNATE_MASTER_KEY", err)
			}
			if strings.Contains(err.Error(), tc.env) {
				t.Errorf("error %q leaks the value", err)
			}
		})
	}
}

func TestLoadMasterKeyFromFile(t *testing.T) {
	key := bytes.Repeat([]byte{0xab}, 32)
	dir := t.TempDir()
	for name, content := range map[string]string{
		"hex.key":  hex.EncodeToString(key) + "\n",
		"b64.key":  "\t" + base64.StdEncoding.EncodeToString(key) + "\r\n",
		"url.key":  base64.RawURLEncoding.EncodeToString(key),
		"crlf.key": base64.URLEncoding.EncodeToString(key) + "\r\n\r\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, generated, err := keyring.LoadMasterKey("", p, true)
		if err != nil || generated || !bytes.Equal(got, key) {
			t.Errorf("%s: LoadMasterKey = %x, %v, %v", name, got, generated, err)
		}
	}

	bad := filepath.Join(dir, "bad.key")
	if err := os.WriteFile(bad, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keyring.LoadMasterKey("", bad, true); err == nil {
		t.Error("a malformed key file was accepted (or replaced)")
	}
	if got, _ := os.ReadFile(bad); string(got) != "short" {
		t.Error("a malformed key file was overwritten")
	}
	if _, _, err := keyring.LoadMasterKey("", dir, true); err == nil {
		t.Error("a directory as key file was accepted")
	}
}

func TestLoadMasterKeyGenerates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "keys", "master.key")

	if _, _, err := keyring.LoadMasterKey("", path, false); err == nil ||
		!strings.Contains(err.Error(), "COGNATE_MASTER_KEY") {
		t.Fatalf("missing file without generate: err = %v, want one naming COGNATE_MASTER_KEY", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file created without generate: %v", err)
	}

	key, generated, err := keyring.LoadMasterKey("", path, true)
	if err != nil || !generated || len(key) != 32 {
		t.Fatalf("LoadMasterKey(generate) = %d bytes, %v, %v", len(key), generated, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("key dir mode %v, want 0700", di.Mode().Perm())
	}

	again, generated, err := keyring.LoadMasterKey("", path, true)
	if err != nil || generated || !bytes.Equal(again, key) {
		t.Fatalf("second LoadMasterKey = %x, %v, %v; want the generated key, false", again, generated, err)
	}
	if bytes.Equal(key, make([]byte, 32)) {
		t.Error("generated key is all zeros")
	}
}

func TestLoadMasterKeyNoSource(t *testing.T) {
	for _, generate := range []bool{false, true} {
		if _, _, err := keyring.LoadMasterKey("  ", "", generate); err == nil {
			t.Errorf("generate=%v with no env and no path: want error", generate)
		}
	}
	_, _, err := keyring.LoadMasterKey("", "", false)
	if err == nil || !strings.Contains(err.Error(), "COGNATE_MASTER_KEY") {
		t.Errorf("err = %v, want one naming COGNATE_MASTER_KEY", err)
	}
}
