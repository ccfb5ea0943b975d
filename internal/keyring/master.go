package keyring

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LoadMasterKey returns the 32-byte master key that seals every stored key.
//
// Sources, in order:
//  1. envValue (the COGNATE_MASTER_KEY value) if it is not blank;
//  2. the file at path, if it exists, its content trimmed of whitespace;
//  3. only if generate is true (dev mode), 32 new random bytes written to
//     path as standard base64 with mode 0600, creating missing parent
//     directories with mode 0700; generated is then true.
//
// A value may be standard or URL-safe base64, with or without padding, or 64
// hex digits, and must decode to exactly 32 bytes. Otherwise, and when no
// source applies, the error says that COGNATE_MASTER_KEY or a key file is
// required. Errors never contain key material.
func LoadMasterKey(envValue, path string, generate bool) (key []byte, generated bool, err error) {
	if strings.TrimSpace(envValue) != "" {
		key, err := decodeMasterKey(envValue)
		if err != nil {
			return nil, false, fmt.Errorf("keyring: COGNATE_MASTER_KEY: %w", err)
		}
		return key, false, nil
	}
	if path == "" {
		if generate {
			return nil, false, errors.New("keyring: cannot generate a master key without a key file path")
		}
		return nil, false, errors.New("keyring: a master key is required: set COGNATE_MASTER_KEY or configure a key file")
	}
	key, err = readMasterKeyFile(path)
	if err == nil {
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if !generate {
		return nil, false, fmt.Errorf("keyring: a master key is required: set COGNATE_MASTER_KEY or create the key file %s", path)
	}
	return writeMasterKeyFile(path)
}

func readMasterKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: read master key file: %w", err)
	}
	key, err := decodeMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("keyring: master key file %s: %w", path, err)
	}
	return key, nil
}

func writeMasterKeyFile(path string) ([]byte, bool, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("keyring: create master key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and now: use theirs.
		key, err := readMasterKeyFile(path)
		return key, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("keyring: create master key file: %w", err)
	}
	key := make([]byte, masterKeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never returns an error (Go 1.24+).
	_, werr := f.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return nil, false, fmt.Errorf("keyring: write master key file: %w", werr)
	}
	return key, true, nil
}

// decodeMasterKey accepts 64 hex digits or base64 (standard or URL alphabet,
// padded or not) and requires 32 bytes.
func decodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	var key []byte
	if len(s) == 2*masterKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			key = b
		}
	}
	if key == nil {
		enc := base64.RawStdEncoding
		if strings.ContainsAny(s, "-_") {
			enc = base64.RawURLEncoding
		}
		unpadded := strings.TrimSuffix(strings.TrimSuffix(s, "="), "=")
		b, err := enc.Strict().DecodeString(unpadded)
		if err != nil || strings.ContainsAny(s, "\r\n") {
			return nil, errors.New("not valid base64 or hex")
		}
		key = b
	}
	if len(key) != masterKeySize {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(key), masterKeySize)
	}
	return key, nil
}
