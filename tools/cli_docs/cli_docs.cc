#include "cli_docs.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string_view>
#include <vector>

namespace bb::cli_docs {
namespace {

struct Flag {
  std::vector<std::string> names;  // -v, --verbose
  std::string description;
  std::string group;
  std::string value;                 // "" for a flag without value; else the type name
  std::vector<std::string> choices;  // from CLI::IsMember
  bool positional = false;
  std::string positional_name;
};

std::vector<std::string> choices_of(CLI::Option& opt) {
  for (int i = 0;; ++i) {
    CLI::Validator* v = nullptr;
    try {
      v = opt.get_validator(i);
    } catch (const CLI::OptionNotFound&) {
      return {};
    }
    const std::string d = v->get_description();
    if (d.size() < 2 || d.front() != '{' || d.back() != '}') continue;
    std::vector<std::string> out;
    std::string cur;
    for (char c : std::string_view(d).substr(1, d.size() - 2)) {
      if (c == ',') {
        out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    out.push_back(cur);
    return out;
  }
}

// The visible options of `app` (hidden ones have an empty group), help and version too.
std::vector<Flag> flags_of(CLI::App& app) {
  std::vector<Flag> out;
  for (const CLI::Option* const_opt : app.get_options()) {
    auto* opt = const_cast<CLI::Option*>(const_opt);  // validators are only reachable non-const
    if (opt->get_group().empty()) continue;
    Flag f;
    for (const auto& s : opt->get_snames()) f.names.push_back("-" + s);
    for (const auto& l : opt->get_lnames()) f.names.push_back("--" + l);
    f.positional = opt->get_positional();
    f.positional_name = opt->get_name(true, false);
    f.description = opt->get_description();
    f.group = opt->get_group();
    if (opt->get_items_expected_max() > 0) {
      f.value = opt->get_type_name().substr(0, opt->get_type_name().find(':'));  // "UINT", not its checks
      if (f.value.empty()) f.value = "VALUE";
    }
    f.choices = choices_of(*opt);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<CLI::App*> subcommands_of(CLI::App& app) {
  return app.get_subcommands([](CLI::App* sub) { return !sub->get_name().empty() && !sub->get_group().empty(); });
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? std::string(sep) : "") + items[i];
  return out;
}

// bash: single-quoted word.
std::string sq(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string function_name(const std::string& tool) {
  std::string out = "_";
  for (char c : tool) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out + "_complete";
}

// The completion of one scope (the tool, or one subcommand): what follows an option
// taking a value, then option names, then subcommands or files.
void scope_cases(const std::string& scope, const std::vector<Flag>& flags, const std::vector<std::string>& subs,
                 std::string& values, std::string& options) {
  std::vector<std::string> names;
  for (const auto& f : flags) {
    if (f.positional) continue;
    names.insert(names.end(), f.names.begin(), f.names.end());
    if (f.value.empty()) continue;
    std::vector<std::string> patterns;
    for (const auto& n : f.names) patterns.push_back(sq(scope + ":" + n));
    values += "    " + join(patterns, "|") + ")\n      COMPREPLY=($(compgen " +
              (f.choices.empty() ? std::string("-f") : "-W " + sq(join(f.choices, " "))) +
              " -- \"$cur\")); return ;;\n";
  }
  // files=1: the scope takes positional arguments (files) beside its subcommands.
  const bool positional = std::any_of(flags.begin(), flags.end(), [](const Flag& f) { return f.positional; });
  options += "    " + sq(scope) + ") opts=" + sq(join(names, " ")) + "; subs=" + sq(join(subs, " ")) +
             "; files=" + (positional || subs.empty() ? "1" : "0") + " ;;\n";
}

// roff: escapes backslashes, dashes, a leading dot or quote, and non-ASCII characters
// (as \[uXXXX], so the page is plain ASCII whatever the help texts hold).
std::string roff(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      const std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
      std::uint32_t code = n == 1 ? 0xfffd : c & (0x7f >> n);
      for (std::size_t k = 1; k < n && i + k < s.size(); ++k) code = code << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3f);
      i += n - 1;
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", code);
      out += buf;
    }
  }
  if (!out.empty() && (out[0] == '.' || out[0] == '\'')) out = "\\&" + out;
  return out;
}

// `nested`: the flags of a subcommand, whose groups are paragraphs, not subsections.
void man_flags(const std::vector<Flag>& flags, bool nested, std::string& out) {
  std::vector<std::string> groups;
  for (const auto& f : flags)
    if (std::find(groups.begin(), groups.end(), f.group) == groups.end()) groups.push_back(f.group);
  for (const auto& group : groups) {
    if (group != "Options" && group != "OPTIONS") out += (nested ? ".PP\n.B \"" : ".SS \"") + roff(group) + "\"\n";
    for (const auto& f : flags) {
      if (f.group != group) continue;
      out += ".TP\n";
      if (f.positional) {
        out += "\\fI" + roff(f.positional_name) + "\\fR\n";
      } else {
        std::vector<std::string> names;
        for (const auto& n : f.names) names.push_back("\\fB" + roff(n) + "\\fR");
        out += join(names, ", ");
        if (!f.value.empty())
          out += " \\fI" + roff(f.choices.empty() ? f.value : "{" + join(f.choices, ",") + "}") + "\\fR";
        out += "\n";
      }
      out += roff(f.description) + "\n";
    }
  }
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string bash_completion(CLI::App& app) {
  const std::string tool = app.get_name();
  const auto subs = subcommands_of(app);
  std::vector<std::string> sub_names;
  for (auto* s : subs) sub_names.push_back(s->get_name());
  std::string values, options;
  scope_cases("", flags_of(app), sub_names, values, options);
  for (auto* s : subs) scope_cases(s->get_name(), flags_of(*s), {}, values, options);

  std::string out = "# bash completion for " + tool + " (generated by `" + tool + " " + kFlag +
                    " bash-completion` from its command-line definition)\n";
  out += function_name(tool) + "() {\n";
  out += "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub='' opts='' subs='' files=1 i\n";
  if (!subs.empty()) {
    out += "  for ((i = 1; i < COMP_CWORD; i++)); do\n    case ${COMP_WORDS[i]} in\n      " + join(sub_names, "|") +
           ") sub=${COMP_WORDS[i]}; break ;;\n    esac\n  done\n";
  }
  out += "  case \"$sub:$prev\" in\n" + values + "  esac\n";
  out += "  case \"$sub\" in\n" + options + "  esac\n";
  out += "  if [[ $cur == -* ]]; then\n    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
         "  else\n    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
         "    if [[ $files == 1 ]]; then COMPREPLY+=($(compgen -f -- \"$cur\")); fi\n  fi\n}\n";
  out += "complete -o filenames -F " + function_name(tool) + " " + tool + "\n";
  return out;
}

std::string man_page(CLI::App& app, const std::string& version) {
  const std::string tool = app.get_name();
  std::string description = app.get_description();
  std::string summary = description.substr(0, description.find(". "));
  // "bbc: the bb compiler" and "bbrun — run …" name the tool already: NAME has it.
  if (summary.compare(0, tool.size(), tool) == 0) {
    std::string_view rest = std::string_view(summary).substr(tool.size());
    for (std::string_view sep : {": ", " \u2014 ", " - "}) {
      if (rest.substr(0, sep.size()) != sep) continue;
      summary = std::string(rest.substr(sep.size()));  // `rest` views the old summary: stop here
      break;
    }
  }
  std::string out = ".\\\" Generated by `" + roff(tool) + " " + roff(kFlag) + " man` from its command-line definition.\n";
  out += ".TH " + upper(tool) + " 1 \"\" \"" + roff(version) + "\" \"bb manual\"\n";
  out += ".SH NAME\n" + roff(tool) + " \\- " + roff(summary) + "\n";
  const auto subs = subcommands_of(app);
  out += ".SH SYNOPSIS\n.B " + roff(tool) + "\n";
  if (subs.empty()) {
    for (const auto& f : flags_of(app))
      if (f.positional) out += "[\\fI" + roff(f.positional_name) + "\\fR] ";
    out += "[\\fIOPTIONS\\fR]\n";
  } else {
    out += "[\\fIOPTIONS\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n";
  }
  out += ".SH DESCRIPTION\n" + roff(description) + "\n";
  out += ".SH OPTIONS\n";
  man_flags(flags_of(app), false, out);
  if (!subs.empty()) {
    out += ".SH COMMANDS\n";
    for (auto* s : subs) {
      out += ".SS \"" + roff(tool + " " + s->get_name()) + "\"\n" + roff(s->get_description()) + "\n";
      man_flags(flags_of(*s), true, out);
    }
  }
  out += ".SH SEE ALSO\nThe bb documentation (docs/ in the source tree): architecture.md, observability.md.\n";
  return out;
}

void add_print_flag(CLI::App& app, const std::string& version) {
  app.add_option_function<std::string>(
         kFlag,
         [&app, version](const std::string& kind) {
           std::cout << (kind == "man" ? man_page(app, version) : bash_completion(app));
           throw CLI::Success();
         },
         "print a shell file generated from these definitions")
      ->check(CLI::IsMember({"bash-completion", "man"}))
      ->trigger_on_parse()
      ->group("");  // hidden
}

}  // namespace bb::cli_docs
