package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// fileConfig is the configuration file (--config, COGNATE_CONFIG): YAML whose
// every setting stands for one COGNATE_* variable, so a file, the
// environment and flags configure the same things. A flag given on the
// command line wins over the variable, and the variable over the file.
// Secrets may be given inline or, better, as a path (the *_file keys), as
// the variables' _FILE forms. Unknown keys are an error.
//
//	addr: 0.0.0.0:8080
//	public_url: https://id.example.com
//	data: /data
//	master_key_file: /run/secrets/cognate-master-key
//	admin:
//	  access_key_id: AKIAADMIN
//	  secret_access_key_file: /run/secrets/cognate-admin-secret
//	storage:
//	  type: postgres            # or sqlite (the default: cognate.db under data)
//	  dsn_file: /run/secrets/cognate-postgres-dsn
//	audit:
//	  retention: 2160h
type fileConfig struct {
	Dev                  *bool  `yaml:"dev"`
	Addr                 string `yaml:"addr"`
	Data                 string `yaml:"data"`
	PublicURL            string `yaml:"public_url"`
	Region               string `yaml:"region"`
	AccountID            string `yaml:"account_id"`
	ObjectStore          *bool  `yaml:"objectstore"`
	DebugAddr            string `yaml:"debug_addr"`
	MasterKey            string `yaml:"master_key"`
	MasterKeyFile        string `yaml:"master_key_file"`
	ResourceServers      string `yaml:"resource_servers"`
	DeveloperCredentials string `yaml:"developer_credentials"`
	Admin                struct {
		AccessKeyID         string `yaml:"access_key_id"`
		SecretAccessKey     string `yaml:"secret_access_key"`
		SecretAccessKeyFile string `yaml:"secret_access_key_file"`
	} `yaml:"admin"`
	Storage struct {
		Type    string `yaml:"type"` // sqlite (default) or postgres
		DSN     string `yaml:"dsn"`
		DSNFile string `yaml:"dsn_file"`
	} `yaml:"storage"`
	Audit struct {
		Retention string `yaml:"retention"`
	} `yaml:"audit"`
	Triggers struct {
		Secret     string            `yaml:"secret"`
		SecretFile string            `yaml:"secret_file"`
		Timeout    string            `yaml:"timeout"`
		Functions  map[string]string `yaml:"functions"` // Lambda ARN → webhook URL
	} `yaml:"triggers"`
	SMTP struct {
		Addr         string `yaml:"addr"`
		From         string `yaml:"from"`
		Username     string `yaml:"username"`
		Password     string `yaml:"password"`
		PasswordFile string `yaml:"password_file"`
		TLS          string `yaml:"tls"`
		Timeout      string `yaml:"timeout"`
	} `yaml:"smtp"`
}

// readConfigFile parses the configuration file at path into the COGNATE_*
// variables it sets (name → value; settings left out are absent). Errors:
// the file cannot be read, is not YAML of this shape (unknown keys
// included), or names a storage type other than sqlite or postgres, or
// postgres without a dsn, or sqlite with one.
func readConfigFile(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	vars := map[string]string{}
	set := func(name, v string) {
		if v != "" {
			vars[name] = v
		}
	}
	setBool := func(name string, v *bool) {
		if v != nil {
			vars[name] = strconv.FormatBool(*v)
		}
	}
	setBool("COGNATE_DEV", c.Dev)
	set("COGNATE_ADDR", c.Addr)
	set("COGNATE_DATA", c.Data)
	set("COGNATE_PUBLIC_URL", c.PublicURL)
	set("COGNATE_REGION", c.Region)
	set("COGNATE_ACCOUNT_ID", c.AccountID)
	setBool("COGNATE_OBJECTSTORE", c.ObjectStore)
	set("COGNATE_DEBUG_ADDR", c.DebugAddr)
	set("COGNATE_MASTER_KEY", c.MasterKey)
	set("COGNATE_MASTER_KEY_FILE", c.MasterKeyFile)
	set("COGNATE_RESOURCE_SERVERS", c.ResourceServers)
	set("COGNATE_DEVELOPER_CREDENTIALS", c.DeveloperCredentials)
	set("COGNATE_ADMIN_ACCESS_KEY_ID", c.Admin.AccessKeyID)
	set("COGNATE_ADMIN_SECRET_ACCESS_KEY", c.Admin.SecretAccessKey)
	set("COGNATE_ADMIN_SECRET_ACCESS_KEY_FILE", c.Admin.SecretAccessKeyFile)
	switch c.Storage.Type {
	case "", "sqlite":
		if c.Storage.DSN != "" || c.Storage.DSNFile != "" {
			return nil, fmt.Errorf("config %s: storage: a dsn is for type postgres (sqlite keeps cognate.db under data)", path)
		}
	case "postgres":
		if c.Storage.DSN == "" && c.Storage.DSNFile == "" {
			return nil, fmt.Errorf("config %s: storage: type postgres needs dsn or dsn_file", path)
		}
		set("COGNATE_POSTGRES_DSN", c.Storage.DSN)
		set("COGNATE_POSTGRES_DSN_FILE", c.Storage.DSNFile)
	default:
		return nil, fmt.Errorf("config %s: storage: type %q, want sqlite or postgres", path, c.Storage.Type)
	}
	set("COGNATE_AUDIT_RETENTION", c.Audit.Retention)
	set("COGNATE_TRIGGER_SECRET", c.Triggers.Secret)
	set("COGNATE_TRIGGER_SECRET_FILE", c.Triggers.SecretFile)
	set("COGNATE_TRIGGER_TIMEOUT", c.Triggers.Timeout)
	if len(c.Triggers.Functions) > 0 {
		pairs := make([]string, 0, len(c.Triggers.Functions))
		for arn, url := range c.Triggers.Functions {
			pairs = append(pairs, arn+"="+url)
		}
		slices.Sort(pairs)
		vars["COGNATE_TRIGGER_FUNCTIONS"] = strings.Join(pairs, ",")
	}
	set("COGNATE_SMTP_ADDR", c.SMTP.Addr)
	set("COGNATE_SMTP_FROM", c.SMTP.From)
	set("COGNATE_SMTP_USERNAME", c.SMTP.Username)
	set("COGNATE_SMTP_PASSWORD", c.SMTP.Password)
	set("COGNATE_SMTP_PASSWORD_FILE", c.SMTP.PasswordFile)
	set("COGNATE_SMTP_TLS", c.SMTP.TLS)
	set("COGNATE_SMTP_TIMEOUT", c.SMTP.Timeout)
	return vars, nil
}

// envGives reports whether the environment sets the variable name, or,
// for a secret, its other form (NAME for NAME_FILE and the other way
// round): the environment wins over the file in either form.
func envGives(name string) bool {
	if os.Getenv(name) != "" || os.Getenv(name+"_FILE") != "" {
		return true
	}
	base, isFile := strings.CutSuffix(name, "_FILE")
	return isFile && os.Getenv(base) != ""
}

// flagVars are the flags whose defaults come from a COGNATE_* variable.
var flagVars = map[string]string{
	"COGNATE_DEV": "dev", "COGNATE_ADDR": "addr", "COGNATE_DATA": "data", "COGNATE_PUBLIC_URL": "public-url",
	"COGNATE_REGION": "region", "COGNATE_ACCOUNT_ID": "account-id", "COGNATE_OBJECTSTORE": "objectstore",
	"COGNATE_DEBUG_ADDR": "debug-addr",
}

// applyConfigFile reads the file --config names, if any, and applies it
// under the environment and the command line: each variable it sets that
// the environment leaves unset (or empty) is set in the process
// environment, and a flag standing for such a variable that the command
// line did not give takes the file's value.
func applyConfigFile(cmd *cobra.Command, path string) error {
	if path == "" {
		return nil
	}
	vars, err := readConfigFile(path)
	if err != nil {
		return err
	}
	for name, v := range vars {
		if envGives(name) {
			continue
		}
		if err := os.Setenv(name, v); err != nil {
			return err
		}
		if flag := cmd.Flags().Lookup(flagVars[name]); flag != nil && !flag.Changed {
			if err := flag.Value.Set(v); err != nil {
				return fmt.Errorf("config %s: %s: %w", path, flag.Name, err)
			}
		}
	}
	return nil
}
