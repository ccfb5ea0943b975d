package userpool

import (
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"math"
	"regexp"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/storage"
)

// Group is a user pool group (cognito-idp GroupType). Its members get the
// group's name in the cognito:groups claim of their ID and access tokens and,
// when it has one, its role in cognito:roles (reference user-pools.md §6.2).
type Group struct {
	PoolID      string
	Name        string // 1–128 characters, unique in the pool, compared exactly
	Description string // at most 2048 characters; "" when absent
	RoleARN     string // an IAM role ARN, or "" when the group has no role
	// Precedence ranks the group among a user's groups: lower wins, 0 is the
	// highest. nil is Cognito's null, which ranks after every set value.
	Precedence *int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Cognito's group limits (cognito-idp 2016-04-18 model; reference §10).
const (
	maxGroupNameLength   = 128
	maxDescriptionLength = 2048
	minRoleARNLength     = 20
	maxRoleARNLength     = 2048
	// MaxPrecedence is the largest Precedence Cognito accepts (2^31-1).
	MaxPrecedence = math.MaxInt32
	// maxGroupsPerUser is Cognito's hard quota on a user's memberships; it
	// also bounds the size of the group claims in a user's tokens.
	maxGroupsPerUser = 100
	// maxGroupPage is the largest Limit of the group listings (QueryLimitType);
	// a Limit of 0 or none means a full page.
	maxGroupPage = 60
)

// codeGroupExists is cognito-idp's GroupExistsException.
const codeGroupExists fault.Code = "GroupExistsException"

var (
	// roleARNPattern accepts IAM role ARNs in any partition, with a path:
	// arn:<partition>:iam::<12-digit account>:role/<path/><name>. The model's
	// ArnType takes any ARN; a group role must be a role for an identity pool
	// to assume it (GetCredentialsForIdentity with a Token role mapping).
	roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
)

func errGroupNotFound() error {
	return fault.New(fault.ResourceNotFound, "Group not found.")
}

func errGroupExists(name string) error {
	return fault.New(codeGroupExists, "A group with the name %s already exists.", name)
}

// validGroupName reports whether name satisfies the model's GroupNameType.
func validGroupName(name string) bool {
	n := utf8.RuneCountInString(name)
	return n >= 1 && n <= maxGroupNameLength && usernamePattern.MatchString(name)
}

func checkGroupName(name string) error {
	if !validGroupName(name) {
		return invalidParam("GroupName must be 1 to %d letters, marks, symbols, numbers or punctuation characters.", maxGroupNameLength)
	}
	return nil
}

func checkDescription(d string) error {
	if utf8.RuneCountInString(d) > maxDescriptionLength {
		return invalidParam("Description must be at most %d characters.", maxDescriptionLength)
	}
	return nil
}

func checkRoleARN(arn string) error {
	if n := len(arn); n < minRoleARNLength || n > maxRoleARNLength || !roleARNPattern.MatchString(arn) {
		return invalidParam("RoleArn must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>).")
	}
	return nil
}

func checkPrecedence(p *int) error {
	if p != nil && (*p < 0 || *p > MaxPrecedence) {
		return invalidParam("Precedence must be between 0 and %d.", MaxPrecedence)
	}
	return nil
}

// CreateGroupInput describes a new group (cognito-idp CreateGroup).
type CreateGroupInput struct {
	PoolID      string
	Name        string
	Description string
	RoleARN     string // "" for no role
	Precedence  *int   // nil for Cognito's null precedence
}

// CreateGroup creates a group in a pool; GroupExistsException if the pool
// already has a group of that name.
func (s *Service) CreateGroup(ctx context.Context, in CreateGroupInput) (Group, error) {
	if _, err := s.GetPool(ctx, in.PoolID); err != nil {
		return Group{}, err
	}
	if err := checkGroupName(in.Name); err != nil {
		return Group{}, err
	}
	if err := checkDescription(in.Description); err != nil {
		return Group{}, err
	}
	if in.RoleARN != "" {
		if err := checkRoleARN(in.RoleARN); err != nil {
			return Group{}, err
		}
	}
	if err := checkPrecedence(in.Precedence); err != nil {
		return Group{}, err
	}
	now := s.now().UTC()
	g := Group{
		PoolID:      in.PoolID,
		Name:        in.Name,
		Description: in.Description,
		RoleARN:     in.RoleARN,
		Precedence:  clonePrecedence(in.Precedence),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	switch err := s.store.CreateGroup(ctx, g); {
	case errors.Is(err, storage.ErrAlreadyExists):
		return Group{}, errGroupExists(in.Name)
	case isNotFound(err): // the pool was deleted meanwhile
		return Group{}, errPoolNotFound(in.PoolID)
	case err != nil:
		return Group{}, internal(err, "create group")
	}
	s.log.InfoContext(ctx, "userpool: group created", "pool", g.PoolID, "group", g.Name)
	return g, nil
}

func clonePrecedence(p *int) *int {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// GetGroup returns a group of a pool; ResourceNotFoundException if the pool
// or the group does not exist.
func (s *Service) GetGroup(ctx context.Context, poolID, name string) (Group, error) {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return Group{}, err
	}
	return s.group(ctx, poolID, name)
}

// group loads a group of an existing pool or returns "Group not found.".
func (s *Service) group(ctx context.Context, poolID, name string) (Group, error) {
	if !validGroupName(name) {
		return Group{}, errGroupNotFound()
	}
	g, err := s.store.GetGroup(ctx, poolID, name)
	if isNotFound(err) {
		return Group{}, errGroupNotFound()
	}
	if err != nil {
		return Group{}, internal(err, "get group")
	}
	return g, nil
}

// UpdateGroupInput changes a group (cognito-idp UpdateGroup). Only the
// members that are set change; the others keep their values.
type UpdateGroupInput struct {
	PoolID      string
	Name        string
	Description *string // "" clears the description
	RoleARN     *string
	Precedence  *int
}

// UpdateGroup changes a group's description, role or precedence. The change
// is visible in the tokens its members get from their next sign-in or refresh.
func (s *Service) UpdateGroup(ctx context.Context, in UpdateGroupInput) (Group, error) {
	if _, err := s.GetPool(ctx, in.PoolID); err != nil {
		return Group{}, err
	}
	if !validGroupName(in.Name) {
		return Group{}, errGroupNotFound()
	}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return Group{}, err
		}
	}
	if in.RoleARN != nil {
		if err := checkRoleARN(*in.RoleARN); err != nil {
			return Group{}, err
		}
	}
	if err := checkPrecedence(in.Precedence); err != nil {
		return Group{}, err
	}
	now := s.now().UTC()
	g, err := s.store.UpdateGroup(ctx, in.PoolID, in.Name, func(g Group) (Group, error) {
		if in.Description != nil {
			g.Description = *in.Description
		}
		if in.RoleARN != nil {
			g.RoleARN = *in.RoleARN
		}
		if in.Precedence != nil {
			g.Precedence = clonePrecedence(in.Precedence)
		}
		g.UpdatedAt = now
		return g, nil
	})
	if isNotFound(err) {
		return Group{}, errGroupNotFound()
	}
	if err != nil {
		return Group{}, internal(err, "update group")
	}
	s.log.InfoContext(ctx, "userpool: group updated", "pool", g.PoolID, "group", g.Name)
	return g, nil
}

// DeleteGroup deletes a group and its memberships; its former members' next
// tokens no longer name it.
func (s *Service) DeleteGroup(ctx context.Context, poolID, name string) error {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return err
	}
	if !validGroupName(name) {
		return errGroupNotFound()
	}
	err := s.store.DeleteGroup(ctx, poolID, name)
	if isNotFound(err) {
		return errGroupNotFound()
	}
	if err != nil {
		return internal(err, "delete group")
	}
	s.log.InfoContext(ctx, "userpool: group deleted", "pool", poolID, "group", name)
	return nil
}

// ListGroups returns up to limit groups of a pool (0 means 60, the most
// Cognito returns) ordered by name, starting after the position nextToken
// encodes, and the token for the next page ("" at the end).
func (s *Service) ListGroups(ctx context.Context, poolID, nextToken string, limit int) ([]Group, string, error) {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return nil, "", err
	}
	size, after, err := pageArgs(limit, nextToken, validGroupName)
	if err != nil {
		return nil, "", err
	}
	groups, err := s.store.ListGroups(ctx, poolID, after, size+1)
	if err != nil {
		return nil, "", internal(err, "list groups")
	}
	groups, next := page(groups, size, func(g Group) string { return g.Name })
	return groups, next, nil
}

// AddUserToGroup makes a user a member of a group (cognito-idp
// AdminAddUserToGroup). Adding a member again succeeds and changes nothing.
// The user may be named by username or, in a pool with UsernameAttributes,
// by email or phone number.
func (s *Service) AddUserToGroup(ctx context.Context, poolID, groupName, username string) error {
	pool, g, u, err := s.groupAndUser(ctx, poolID, groupName, username)
	if err != nil {
		return err
	}
	// Cognito caps memberships at 100 per user; the cap also keeps the group
	// claims (and so every token of the user) bounded. Two concurrent adds
	// may overshoot it by one each; that is harmless.
	current, err := s.store.ListGroupsForUser(ctx, pool.ID, u.Username, "", maxGroupsPerUser+1)
	if err != nil {
		return internal(err, "list user groups")
	}
	if len(current) >= maxGroupsPerUser && !slices.ContainsFunc(current, func(c Group) bool { return c.Name == g.Name }) {
		return invalidParam("A user can be a member of at most %d groups.", maxGroupsPerUser)
	}
	err = s.store.AddUserToGroup(ctx, pool.ID, g.Name, u.Username)
	if isNotFound(err) {
		// The group or the user was deleted since we looked: report which.
		if _, err := s.group(ctx, pool.ID, g.Name); err != nil {
			return err
		}
		return errUserNotFound()
	}
	if err != nil {
		return internal(err, "add user to group")
	}
	s.log.InfoContext(ctx, "userpool: user added to group", "pool", pool.ID, "group", g.Name, "username", u.Username)
	return nil
}

// RemoveUserFromGroup ends a membership (cognito-idp
// AdminRemoveUserFromGroup). Removing a user who is not a member succeeds.
func (s *Service) RemoveUserFromGroup(ctx context.Context, poolID, groupName, username string) error {
	pool, g, u, err := s.groupAndUser(ctx, poolID, groupName, username)
	if err != nil {
		return err
	}
	err = s.store.RemoveUserFromGroup(ctx, pool.ID, g.Name, u.Username)
	if err != nil && !isNotFound(err) {
		return internal(err, "remove user from group")
	}
	s.log.InfoContext(ctx, "userpool: user removed from group", "pool", pool.ID, "group", g.Name, "username", u.Username)
	return nil
}

// groupAndUser loads a pool, one of its groups (ResourceNotFoundException)
// and one of its users (UserNotFoundException), in that order.
func (s *Service) groupAndUser(ctx context.Context, poolID, groupName, username string) (Pool, Group, User, error) {
	pool, err := s.GetPool(ctx, poolID)
	if err != nil {
		return Pool{}, Group{}, User{}, err
	}
	g, err := s.group(ctx, pool.ID, groupName)
	if err != nil {
		return Pool{}, Group{}, User{}, err
	}
	u, found, err := s.resolveUser(ctx, pool, username)
	if err != nil {
		return Pool{}, Group{}, User{}, err
	}
	if !found {
		return Pool{}, Group{}, User{}, errUserNotFound()
	}
	return pool, g, u, nil
}

// ListGroupsForUser returns a page of the groups a user belongs to, ordered
// by name (cognito-idp AdminListGroupsForUser); limit and nextToken are as
// for ListGroups.
func (s *Service) ListGroupsForUser(ctx context.Context, poolID, username, nextToken string, limit int) ([]Group, string, error) {
	pool, u, err := s.adminUser(ctx, poolID, username)
	if err != nil {
		return nil, "", err
	}
	size, after, err := pageArgs(limit, nextToken, validGroupName)
	if err != nil {
		return nil, "", err
	}
	groups, err := s.store.ListGroupsForUser(ctx, pool.ID, u.Username, after, size+1)
	if err != nil {
		return nil, "", internal(err, "list user groups")
	}
	groups, next := page(groups, size, func(g Group) string { return g.Name })
	return groups, next, nil
}

// ListUsersInGroup returns a page of a group's members, ordered by username
// (cognito-idp ListUsersInGroup); limit and nextToken are as for ListGroups.
func (s *Service) ListUsersInGroup(ctx context.Context, poolID, groupName, nextToken string, limit int) ([]User, string, error) {
	if _, err := s.GetPool(ctx, poolID); err != nil {
		return nil, "", err
	}
	if _, err := s.group(ctx, poolID, groupName); err != nil {
		return nil, "", err
	}
	size, after, err := pageArgs(limit, nextToken, func(name string) bool { return name != "" })
	if err != nil {
		return nil, "", err
	}
	users, err := s.store.ListUsersInGroup(ctx, poolID, groupName, after, size+1)
	if err != nil {
		return nil, "", internal(err, "list users in group")
	}
	users, next := page(users, size, func(u User) string { return u.Username })
	return users, next, nil
}

// pageArgs checks a listing's Limit (0–60, 0 meaning 60) and decodes its
// NextToken (the unpadded base64url of the last key of the previous page).
func pageArgs(limit int, nextToken string, validKey func(string) bool) (size int, after string, err error) {
	if limit < 0 || limit > maxGroupPage {
		return 0, "", invalidParam("Limit must be between 0 and %d.", maxGroupPage)
	}
	if limit == 0 {
		limit = maxGroupPage
	}
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !utf8.Valid(b) || !validKey(string(b)) {
			return 0, "", invalidParam("Invalid NextToken.")
		}
		after = string(b)
	}
	return limit, after, nil
}

// page trims a result fetched with size+1 rows to size and returns the token
// of the next page, or "" when this was the last.
func page[T any](items []T, size int, key func(T) string) ([]T, string) {
	if len(items) <= size {
		return items, ""
	}
	items = items[:size]
	return items, base64.RawURLEncoding.EncodeToString([]byte(key(items[size-1])))
}

// groupClaims are the group claims of a user's tokens.
type groupClaims struct {
	// Groups is cognito:groups (ID and access tokens): every group's name,
	// highest precedence first (unset precedence last), then by name.
	Groups []string
	// Roles is cognito:roles (ID token): the distinct role ARNs of those
	// groups, in the same order.
	Roles []string
	// PreferredRole is cognito:preferred_role (ID token), or "" when unset.
	PreferredRole string
}

// claimsForGroups derives the group claims from a user's groups, following
// the precedence rule of cognito-idp GroupType.Precedence: the preferred role
// is the role of the group with the lowest Precedence among the groups that
// have a role, a null Precedence ranking after every set one. Groups that tie
// on that lowest Precedence take precedence over each other only if they
// agree: the same role ARN is still preferred, different ARNs leave
// cognito:preferred_role unset.
func claimsForGroups(groups []Group) groupClaims {
	sorted := slices.Clone(groups)
	slices.SortFunc(sorted, func(a, b Group) int {
		if c := comparePrecedence(a.Precedence, b.Precedence); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	var out groupClaims
	var best *Group
	ambiguous := false
	for i := range sorted {
		g := &sorted[i]
		out.Groups = append(out.Groups, g.Name)
		if g.RoleARN == "" {
			continue
		}
		if !slices.Contains(out.Roles, g.RoleARN) {
			out.Roles = append(out.Roles, g.RoleARN)
		}
		switch {
		case best == nil:
			best = g
		case comparePrecedence(g.Precedence, best.Precedence) == 0 && g.RoleARN != best.RoleARN:
			ambiguous = true
		}
	}
	if best != nil && !ambiguous {
		out.PreferredRole = best.RoleARN
	}
	return out
}

// comparePrecedence orders precedences: lower values first, nil (Cognito's
// null) after every value.
func comparePrecedence(a, b *int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	default:
		return cmp.Compare(*a, *b)
	}
}
