"""Attack signatures: data, not code. Each is a weighted piece of evidence; a value is blocked when
its evidence adds up to the threshold, so one weak pattern (a quote, a `<b>` tag, the word "select")
never blocks alone. `gate:` entries only decide which values the tokenizers (libinjection) see.

Patterns use the syntax Hyperscan and Python's `re` share (no look-around, no back-references):
Hyperscan finds candidate values in one pass over the whole request, then `re` confirms on the
value alone and cuts the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    detector: str  # sqli, xss, cmdi, traversal, ssrf, xxe, nosqli, ldapi, ssti, jndi, crlf, proto
    weight: int
    pattern: str
    # The weight in a path segment, query, header or cookie, where an API's callers send data and
    # never markup; 0: the same as `weight` everywhere. (Bodies carry rich text, so markup there
    # is only weighed with what comes with it.)
    out_of_body_weight: int = 0


# OWASP API Security Top 10 2023 has no injection category of its own; injection through an API
# is a security misconfiguration (API8) in its terms, SSRF is API7.
CATEGORY = {
    "sqli": ("API8:2023", "CWE-89"), "xss": ("API8:2023", "CWE-79"), "cmdi": ("API8:2023", "CWE-78"),
    "traversal": ("API8:2023", "CWE-22"), "ssrf": ("API7:2023", "CWE-918"), "xxe": ("API8:2023", "CWE-611"),
    "nosqli": ("API8:2023", "CWE-943"), "ldapi": ("API8:2023", "CWE-90"), "ssti": ("API8:2023", "CWE-1336"),
    "jndi": ("API8:2023", "CWE-917"), "crlf": ("API8:2023", "CWE-113"), "proto": ("API8:2023", "CWE-1321"),
    "graphql": ("API4:2023", "CWE-770"), "escape": ("API8:2023", "CWE-150"),
}

# Commands an attacker chains after a separator; none is an everyday English word.
_SHELL_CMDS = (r"(?:whoami|uname|ls|ping|wget|curl|ncat|netcat|bash|zsh|ksh|python[23]?|perl|php|ruby|nslookup|"
               r"ifconfig|ipconfig|chmod|chown|tftp|telnet|powershell|cmd(?:\.exe)?|systeminfo|nohup|sudo|xterm|"
               r"socat|printenv|tasklist|whoami\.exe|certutil|bitsadmin|pwd|netstat|sysinfo|wmic|taskkill|mkfifo|"
               r"nmap|useradd|crontab|schtasks|ping\.exe|phpinfo|rundll32|regsvr32|mshta|cscript|wscript|netsh|"
               r"vssadmin|bcdedit|icacls|takeown|grep|awk|uname)")
_WORDY_CMDS = (r"(?:id|cat|dir|sleep|echo|type|more|find|head|tail|set|env|net|kill|history|reg|route|ver|attrib|"
               r"base64|sed|arp|ps|sh|nc|rm|dig|hostname|shutdown|reboot|passwd|ls)")
_RECON = (r"(?:ping(?:\.exe)?|nslookup|netstat|ipconfig|ifconfig|whoami|uname|ls|cat|id|net|reg|perl|python[23]?|ruby|"
          r"php|curl|wget|nc|ncat|type|dir|systeminfo|tasklist|wmic|powershell|cmd(?:\.exe)?|bash|sh|echo|"
          r"certutil|bitsadmin|nmap|sleep|timeout|find|grep|chmod|chown|rm|useradd|reg\.exe)")
_SYS_DIRS = r"(?:etc|proc|sys|var|usr|bin|sbin|root|home|windows|winnt|boot|dev|tmp|opt)"

SIGNATURES: tuple[Signature, ...] = (
    # --- gates for the tokenizers -----------------------------------------------------------
    # libinjection finds nothing in text without SQL punctuation, so plain prose never reaches it.
    # A bare `=` (`utm=spring` in a URL) is no SQL without a logical operator near it.
    Signature("gate:sqli", "sqli", 0, r"['\"`;#()]|--|/\*|\b(?:union|select|sleep|waitfor|benchmark)\b"
              r"|\b(?:or|and|xor|not|having|where|like|rlike|div)\b[^\n]{0,80}[=<>]|[=<>][^\n]{0,80}\b(?:or|and|xor)\b|\|\||&&"),
    Signature("gate:ssrf", "ssrf", 0, r"://|^\s*\[?[0-9a-fx]{1,10}[.:][0-9a-fx.:]*\]?(?::\d+)?\s*$|localhost|metadata|instance-data"),
    # A run of base64 long enough to hide an attack, reported once per run (at its 24th character).
    Signature("gate:b64", "decode", 0, r"(?:^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{24}"),
    Signature("gate:xss", "xss", 0, r"[<>\"'`]|&#|javascript|script|expression|\bon[a-z]{3,}\s*="),
    # --- SQL injection (libinjection decides most; these catch what it lets through) -----------
    Signature("sqli-time", "sqli", 5, r"\b(?:sleep\s*\(\s*\d|benchmark\s*\(\s*\d|pg_sleep\s*\(|waitfor\s+delay\s+['\"]|dbms_pipe\.receive_message|dbms_lock\.sleep)"),
    Signature("sqli-stacked", "sqli", 5, r";\s*(?:select|waitfor|declare|exec(?:ute)?|shutdown|drop|insert|update|delete|truncate|create|alter)\b[^;]{0,200}(?:\bfrom\b|\bdelay\b|\(|--|#|\bnull\b|\btable\b|\bset\b|\bwhere\b|;)"),
    Signature("sqli-subselect", "sqli", 3, r"\(\s*select\b[^)]{0,200}(?:\bfrom\b|\(|\bcase\b|\bsleep\b)"),
    Signature("sqli-union", "sqli", 5, r"\bunion\b[\s/*()]{1,20}(?:all\b[\s/*()]{1,20})?select\b"),
    Signature("sqli-func", "sqli", 3, r"\b(?:extractvalue|updatexml|load_file|generate_series|regexp_substring|utl_inaddr\.\w+|xp_cmdshell|sp_executesql|information_schema|pg_catalog|sysobjects|sqlite_master|iif)\s*[(.]"),
    Signature("sqli-casewhen", "sqli", 3, r"\bcase\s+when\b.{1,120}\bthen\b"),
    Signature("sqli-quote-break", "sqli", 2, r"['\"`]\s*\)*\s*(?:;|\bor\b|\band\b|\|\||&&|\bwhere\b|\bprocedure\b|\border\s+by\b|\bgroup\s+by\b|\blimit\b|\bunion\b|\bhaving\b|\bwaitfor\b)"),
    Signature("sqli-comment-end", "sqli", 2, r"(?:--[\s+-]*|#\s*|/\*[^/]*|;\s*)$"),
    # Operands equal on both sides (`or 7=7`, `and 'a'='a'`) are confirmed in Python: weight 5 then.
    Signature("sqli-tautology", "sqli", 3, r"\b(?:or|and|xor|having|where)\b\s*\(?\s*['\"]?\s*(\w+)\s*['\"]?\s*(?:=|<>|!=|>|<|\blike\b)\s*\(?\s*['\"]?\s*(\w+)"),
    Signature("sqli-numeric-tautology", "sqli", 5, r"\b(?:or|and|having|where)\s+\(*\s*['\"]?-?\d+['\"]?\s*(?:=|<>|!=|>|<)\s*['\"]?-?\d+['\"]?\s*\)*\s*(?:$|--|#|/\*|;|\band\b|\bor\b|\*|\))"),
    Signature("sqli-blind-func", "sqli", 5, r"\b(?:elt|make_set|field|instr|mid|ord|hex|unhex|conv|if|iif|ifnull|nullif|coalesce|ascii|substr(?:ing)?|case)\s*\(\s*\(*\s*\d+\s*(?:=|<>|>|<)\s*\d+"),
    Signature("sqli-select-sysvar", "sqli", 5, r"\bselect\s+(?:@@\w+|current_user|session_user|system_user|user\s*\(|version\s*\(|database\s*\(|name_const\s*\()"),
    Signature("sqli-systable", "sqli", 2, r"\b(?:sysusers|sysobjects|syscolumns|sysservers?\w*|master\.\.\w+|pg_shadow|pg_user|pg_group|pg_database|mysql\.user|all_tables|user_tables|dba_users|information_schema)\b"),
    Signature("sqli-quote-comment", "sqli", 4, r"['\"`]\s*\)*\s*(?:--|#)[^'\"]{0,20}$"),
    Signature("sqli-concat-char", "sqli", 3, r"\bchar\s*\(\s*\d+\s*\)\s*(?:\|\||\+|,)"),
    Signature("sqli-into-file", "sqli", 5, r"\binto\s+(?:out|dump)file\b"),
    Signature("sqli-hex-select", "sqli", 3, r"\b0x[0-9a-f]{8,}\b"),
    Signature("sqli-quote", "sqli", 1, r"['\"`]"),
    Signature("sqli-select-from", "sqli", 4, r"\bselect\b\s+(?:\*|[\w.@]+(?:\s*,\s*[\w.@]+)+|(?:count|concat|group_concat|substring|substr|ascii|char|version|user|database|load_file|top)\b\s*\(?|@@\w+|null\b)[^;]{0,100}?\bfrom\b"),
    Signature("sqli-server-var", "sqli", 4, r"@@(?:version|datadir|hostname|servername|basedir|identity|spid|language|microsoftversion)\b"),
    Signature("sqli-order-by-num", "sqli", 3, r"\b(?:order|group)\s+by\s+\d+(?:\s*,\s*\d+)*\s*(?:--|#|/\*|;|,\s*--|$)"),
    Signature("sqli-ddl", "sqli", 3, r"\b(?:create|drop|alter|truncate)\s+(?:table|database|user|procedure|function)\b|\bbulk\s+insert\b|\binsert\s+into\b[^;]{0,80}\bvalues\s*\("),
    # --- cross-site scripting -------------------------------------------------------------
    Signature("xss-script-tag", "xss", 5, r"<\s*/?\s*script\b"),
    # `htt\tp://`: browsers drop tabs and line breaks inside a URL, filters that match `http://` do not.
    Signature("xss-broken-scheme", "xss", 5, r"\bh[\t\r\n]+t{2}ps?:|\bht[\t\r\n]+tps?:|\bhtt[\t\r\n]+ps?:|\bhttps?[\t\r\n]+:"),
    Signature("xss-js-uri", "xss", 5, r"(?:j\s*a\s*v\s*a|v\s*b|l\s*i\s*v\s*e)\s*s\s*c\s*r\s*i\s*p\s*t\s*:|\bmocha\s*:"),
    Signature("xss-handler", "xss", 3, r"[\s\"'/;`+]on[a-z]{3,25}\s*="),
    # Tags that never belong in user text, even rich text: documents, forms, active content.
    Signature("xss-active-tag", "xss", 5, r"<\s*/?\s*(?:html|body|head|form|input|textarea|button|iframe|frame|frameset|object|embed|applet|meta|base|link|style|svg|math|xmp|template|plaintext|listing|noscript|isindex|xml|xss|layer|ilayer|bgsound|feimage|animate|set|marquee|keygen|t:set|svg:\w+|xsl:\w+)\b"),
    # Tags rich text may carry: weak evidence alone.
    # A whole tag (no space after `<`, as browsers require) of HTML or SVG, a comment or a doctype.
    Signature("xss-markup", "xss", 0, r"<(?:/?(?:a|abbr|address|area|article|aside|audio|b|bdi|bdo|big|blink|blockquote|br|"
              r"canvas|caption|center|cite|code|col|colgroup|dd|del|details|dfn|dialog|div|dl|dt|em|fieldset|figure|"
              r"font|footer|h[1-6]|header|hr|i|img|image|ins|kbd|label|legend|li|main|map|mark|menu|meter|nav|ol|"
              r"optgroup|option|output|p|picture|pre|progress|q|s|samp|section|select|small|source|span|strike|"
              r"strong|sub|summary|sup|table|tbody|td|tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr|"
              r"circle|ellipse|line|polyline|polygon|rect|path|g|defs|use|text|tspan|foreignobject|pattern|"
              r"filter|mask|clippath|symbol|marker|lineargradient|radialgradient|stop|desc)\b[^<>]{0,200}>|!--|!doctype\b)",
              out_of_body_weight=5),
    # Script and style code: the body of a snippet API is full of it, a query or a header never is.
    Signature("xss-script-code", "xss", 0, r"\bfunction\s*[\w$]*\s*\([^)]{0,80}\)\s*\{|\$\(\s*['\"][^'\"]{1,80}['\"]\s*\)\s*\."
              r"|\}\s*\)\s*;|\bfor\s*\(\s*(?:var\s+|let\s+)?[\w$]+\s*=[^;]{0,40};[^;]{0,40};"
              r"|\b(?:navigator|document|window|location|history|localstorage|sessionstorage)\s*\.\s*\w+\s*\(",
              out_of_body_weight=5),
    Signature("xss-style-code", "xss", 0, r"(?:^|[\s};])(?:[#.][\w-]+|\*|@font-face|@media|[a-z][\w-]*)\s*\{[^{}]{0,200}"
              r"\b(?:color|background|font|font-family|src|width|height|display|position|content|behavior)\s*:[^{}]{0,200}\}",
              out_of_body_weight=5),
    # `" href="x" />`: out of an attribute value, new attributes, and the tag closed.
    Signature("xss-attribute-break", "xss", 0, r"['\"]\s+[a-z][\w:-]{0,30}\s*=\s*['\"][^'\"<>]{0,200}['\"]\s*/?>",
              out_of_body_weight=5),
    # `write(1) autofocus>`, `open()>`, `f(0);'>`: a call, then the tag it was an event handler
    # in is closed (no space before `>`, nothing numeric after it, unlike `sum(a) > 10`). Code
    # in a body may compare a call's result; a query or a header does not.
    Signature("xss-handler-close", "xss", 0, r"[a-z_$][\w$]{0,40}\s{0,4}\([^()<>\n]{0,60}\)\s{0,4};?\s{0,4}(?:['\"`]|\s{0,4}[\w-]{1,20})?>\s{0,4}(?:[^=\d\s]|$)",
              out_of_body_weight=5),
    # `">text</a>`: the value closes an attribute before any tag of its own opens, then brings markup.
    Signature("xss-break-out-markup", "xss", 5, r"^[^<]{0,200}?['\"]\s*>[^<]{0,200}</?[a-z]"),
    # An attribute-list declaration's tail (`id ID #REQUIRED>]>`): DTD syntax, never data.
    Signature("xss-dtd-decl", "xss", 5, r"#(?:required|implied|pcdata)\b[^<>\n]{0,60}>"),
    Signature("xss-tag", "xss", 2, r"<\s*/?\s*(?:img|image|a\s|div|span|table|td|tr|br|hr|video|audio|source|details|select|option|h[1-6]|p|b|i|u|em|strong|label|font|center|ul|ol|li)\b"),
    Signature("xss-call", "xss", 5, r"\b(?:alert|prompt|confirm)\s*(?:\(\s*(?:-?\d+|['\"/`][^)]{0,60}|document\.\w+|window\.\w+|\w+\.(?:cookie|domain|location))\s*\)|`[^`]{0,60}`)|\beval\s*\(\s*(?:\w+\s*\+|atob|location|url\b|unescape|string\.fromcharcode|name\b|document\.)|script\s*(?:alert|prompt|confirm|document\.)"
              # `a=alert,a(1)`: the sink under another name, then called
              r"|=\s*(?:alert|prompt|confirm|eval)\s*[,;]\s*[\w$]{1,20}\s*\("),
    Signature("xss-indexed-call", "xss", 5, r"\b(?:top|window|self|parent|frames|globalthis)\s*\[[^\]]{1,80}\]\s*\(|<!(?:attlist|element)\b|<!--\s*\[if\b|<!\[endif\]"),
    Signature("xss-indirect-call", "xss", 4, r"\b(?:top|window|self|parent|frames|globalthis)\s*\[\s*(?:['\"/]|\d)|\(\s*(?:alert|prompt|confirm)\s*\)|\.\s*(?:find|map|call|apply)\s*\(\s*(?:alert|prompt|confirm)\b|=\s*(?:alert|prompt|confirm)\s*[,;]"),
    Signature("xss-sink", "xss", 3, r"\(\s*(?:alert|prompt|confirm)\s*\)|\b(?:alert|prompt|confirm|eval|settimeout|setinterval|fromcharcode|atob|write|writeln)\s*(?:\(|`)|\bdocument\s*\.\s*(?:cookie|write|location|domain)|\bwindow\s*\.\s*location|\.innerhtml\b|\bconstructor\s*\("),
    Signature("xss-tag-attr", "xss", 2, r"<\s*[a-z][\w:-]{0,20}(?:\s|/|%0[9acd]|%2f)+[^>]{0,200}?[\w%]\s*=|<\s*[a-z][\w:-]{0,20}\s+[^>]{0,200}?(?:src|href|style|data)\s*="),
    # UTF-7 `<` and `>`: old browsers sniffed it, and nothing writes text this way.
    Signature("xss-utf7", "xss", 5, r"\+ad[w4]-"),
    # A quote closed before any tag opens (`"><svg`, `');alert`): the value breaks out of the
    # attribute or string it is put in. Inside a tag, `">` only ends an attribute value.
    Signature("xss-break-out", "xss", 2, r"^[^<]{0,60}?['\"`]\s*[;>)]|-->|\]\]>|\$\{|\}\}"),
    Signature("xss-data-uri", "xss", 5, r"data\s*:\s*(?:text/html|image/svg|application/(?:x-)?javascript)"),
    Signature("xss-js-entity", "xss", 4, r"&\{"),
    Signature("xss-css-expr", "xss", 4, r"expression\s*\(|@import\b|-o-link\s*:|behaviou?r\s*:\s*url|-moz-binding"),
    Signature("xss-cdata-php", "xss", 2, r"<!\[cdata\[|<\?(?:php|=)?|<%"),
    # --- OS command injection -------------------------------------------------------------
    Signature("cmdi-chain", "cmdi", 5, r"(?:[;&|`\n]|\$\(|\|\||&&)[^\S\n]*(?:[\w./]*/)?" + _SHELL_CMDS + r"(?:\s*$|\s+[-/\w.'\"$|&;%\\]|[;|&`)])"),
    # Commands that are also English words (`; set the table`) need shell-looking arguments.
    Signature("cmdi-chain-wordy", "cmdi", 5, r"(?:[;&|`\n]|\$\(|\|\||&&)[^\S\n]*(?:[\w./]*/)?" + _WORDY_CMDS + r"(?:\s*$|\s*[;|&`)]|\s+(?:-{1,2}\w|/|\$|%\w|\\|[a-z]:|\d+\s*(?:$|[;|&])|['\"]?[<>|&;]))"),
    Signature("cmdi-chain-word", "cmdi", 3, r"(?:[;&|`]|\$\(|\|\||&&)\s*(?:[\w./]*/)?(?:" + _SHELL_CMDS + "|" + _WORDY_CMDS + r")\b"),
    Signature("cmdi-bare-chain", "cmdi", 5, r"^\s*(?:" + _SHELL_CMDS + "|" + _WORDY_CMDS + r")\s*(?:;|\|\|?|&&?)\s*$"),
    Signature("cmdi-subshell", "cmdi", 4, r"\$\([^)]{1,200}\)|`[^`]{1,200}`"),
    Signature("cmdi-shellshock", "cmdi", 5, r"\(\s*\)\s*\{\s*:?\s*;?\s*\}\s*;"),
    Signature("cmdi-ifs", "cmdi", 5, r"\$\{?IFS\}?|\$\{(?:PATH|HOME|SHELL):"),
    Signature("cmdi-shell-path", "cmdi", 5, r"/(?:usr/)?s?bin/(?:ba|z|k|da|c)?sh\b|/(?:usr/)?s?bin/(?:id|cat|ls|nc|wget|curl|python|perl|sleep|uname|whoami)\b|\bcmd(?:\.exe)?\s*/[ck]\b|\bpowershell(?:\.exe)?\s+-"),
    Signature("cmdi-ssi", "cmdi", 5, r"<!--\s*#\s*(?:exec|include)\b"),
    Signature("cmdi-exec-quoted", "cmdi", 5, r"\b(?:system|eval|exec|passthru|shell_exec|popen|proc_open|pcntl_exec)\s*\(\s*['\"`]"),
    Signature("cmdi-exec-func", "cmdi", 4, r"\b(?:system|exec|passthru|shell_exec|popen|proc_open|pcntl_exec|os\.system|subprocess\.\w+|runtime\.getruntime)\s*\("),
    Signature("cmdi-cmdline", "cmdi", 3, r"^\s*(?:[\w./]*/)?(?:ping|nslookup|wget|curl|nc|ncat|telnet|sleep|cat|uname|whoami|id|ls|dir|type|net|ipconfig|ifconfig)(?:\s+-{1,2}\w+|\s+/|\s+[a-z]:|\s+\d|\s*$)"),
    Signature("cmdi-cmdline-args", "cmdi", 3, r"^\s*(?:['\"]\s*)?(?:[\w./\\:]*[/\\])?" + _RECON + r"\s+(?:-{1,2}[a-z]\w*|/[a-z]+\b|[a-z]:\\|%\w+%|\d{1,3}(?:\.\d{1,3}){3}|https?://|(?:user|localgroup|add|query|view|start)\b)"),
    Signature("cmdi-fetch", "cmdi", 5, r"^\W{0,3}(?:curl|wget)(?:\.exe)?\s+(?:-{1,2}[\w-]+\s+(?:\S+\s+)?)*['\"]?(?:https?|ftp|file)://"),
    Signature("cmdi-target", "cmdi", 2, r"\b(?:127\.0\.0\.1|localhost|hklm\\|hkey_local_machine|administrators\b)|%(?:systemroot|windir|comspec|temp|userprofile)%|/etc/|/tmp/?|(?:^|\s)/add\b|\s-[ec]\s+['\"]"),
    Signature("cmdi-php-info", "cmdi", 5, r"\b(?:phpinfo|phpversion|php_uname|getcwd|get_current_user|posix_getpwuid|passthru|shell_exec)\s*\(|\$\{\s*@|\{\s*\$\{"),
    Signature("cmdi-php-shell", "cmdi", 5, r"<\?(?:php)?[^>]{0,200}?\b(?:system|exec|passthru|shell_exec|include|require|eval|assert|popen)\s*\(|\$_(?:GET|POST|REQUEST|COOKIE|SERVER)\s*\[[^\]]{0,40}\]\s*[;)}]"),
    # XSLT that calls PHP (`php:function('passthru','id')`) runs commands where the sheet is applied.
    Signature("cmdi-xslt-php", "cmdi", 5, r"\bphp\s*:\s*function\s*\("),
    Signature("cmdi-write-script", "cmdi", 3, r">\s*[\w./-]{1,80}\.(?:php\d?|phtml|jsp|jspx|aspx?|sh|py|pl|cgi)\b"),
    Signature("cmdi-win-dir", "cmdi", 5, r"\bdir[\s+]+[a-z]:|\btype\s+[a-z]:\\|\bnet\s+(?:user|localgroup|view)\b"),
    Signature("cmdi-redirect", "cmdi", 3, r"(?:>|>>|2>&1|<)\s*/(?:dev|tmp|etc|var)/"),
    # --- path traversal and file inclusion ------------------------------------------------------
    Signature("trav-dotdot", "traversal", 5, r"(?:^|[\\/;=:])\.\.(?:[\\/;]|0x2f|0x5c|%2f|%5c|$)|\.\.(?:[\\/;]|0x2f|0x5c)\.\."),
    Signature("trav-dotdot-many", "traversal", 5, r"(?:\.{2,8}[\\/;]+){2,}|(?:[\\/;]\.{2,}){2,}"),
    # `a/./b`: a dot segment no client sends, used to slip past path filters that compare strings.
    Signature("trav-dot-segment", "traversal", 5, r"[\\/]\.[\\/]"),
    Signature("trav-dots-odd", "traversal", 3, r"[\\/]\.{3,}|\.{3,8}[\\/]"),
    Signature("trav-dots-fuzz", "traversal", 5, r"(?:[\\/]{1,8}\.{1,8}){3,}|/{3,}|\\{3,}|(?:0x2e){2}|(?:0x5c|0x2f)\.{0,2}(?:0x2e)"),
    Signature("trav-sensitive-file", "traversal", 5, r"(?:/etc/(?:passwd|shadow|group|hosts|issue|hostname|sudoers|crontab|fstab|motd|profile|environment)|/proc/(?:self|\d+)/|win\.ini|boot\.ini|drivers[\\/]etc[\\/](?:hosts|networks|services)\b|system32[\\/]config[\\/](?:sam|system|security)\b|repair[\\/]sam\b|web-inf[\\/]|\.htaccess|\.htpasswd|/var/log/|\.ssh/|id_rsa|\bglobal\.asa\b|inetpub\W{0,2}wwwroot|web-inf\W{0,3}web\.xml|\.aws/credentials|\.git/(?:config|head)|\.bash_history|etc\W*passwd)"),
    Signature("trav-wrapper", "traversal", 5, r"\b(?:file|php|zip|phar|expect|glob|jar|compress\.zlib)\s*:\s*/"),
    Signature("trav-abs-sys", "traversal", 3, r"^(?:[a-z]:)?[\\/]+" + _SYS_DIRS + r"(?:[\\/]|$)|^[a-z]:[\\/]"),
    Signature("trav-nullbyte-ext", "traversal", 3, r"%00"),  # a literal NUL is checked apart: NUL separates values
    # --- server-side template injection ---------------------------------------------------------
    Signature("ssti-expr", "ssti", 5, r"\{\{[^}]{0,200}(?:\d\s*[*+/-]\s*\d|__\w+__|\bconfig\b|\bself\b|\brequest\b|\blipsum\b|\bcycler\b|\bjoiner\b|\bnamespace\b|\|\s*attr|getclass|\bT\s*\(|\[\s*['\"]\w+['\"]\s*\]|\.\s*\w+\s*\()[^}]{0,200}\}\}"),
    Signature("ssti-dollar", "ssti", 5, r"\$\{[^}]{0,200}(?:\d\s*[*+/]\s*\d|\bT\s*\(|runtime|getclass|\.exec\b|\bnew\s+\w|freemarker|\.forname)[^}]{0,200}\}|#\{[^}]{0,100}\d\s*\*\s*\d[^}]{0,100}\}"),
    # Template code: a template API's body holds it, a query or a header is no template. A bare
    # `{{accountName}}` or `${user}` is left alone: API docs and Postman examples are full of such
    # placeholders.
    Signature("ssti-braces", "ssti", 0, r"\{\{\s*[\w-]*[^\w\s{}-][^{}]{0,200}\}\}|\{%[^%]{1,200}%\}|\$\{\s*[\w-]*[^\w\s{}-][^{}]{0,200}\}|<%[^%]{1,200}%>", out_of_body_weight=5),
    Signature("ssti-tag", "ssti", 4, r"\{%\s*(?:import|include|set|for|if|raw|macro|call|extends|print|debug)\b|<%=?\s*[^%]{0,100}%>|<#(?:assign|list|if)\b|\$\{\{|\{\{\s*7\s*\*|\{php\}|\*\{[^}]{1,100}\}"),
    # --- JNDI (Log4Shell), after lookups like ${lower:j} are unwrapped --------------------------
    Signature("jndi", "jndi", 5, r"\$\{\s*jndi\s*:\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis|https?)\s*:"),
    Signature("jndi-nested", "jndi", 4, r"\$\{[^}]{0,40}\$\{|\$\{\s*(?:lower|upper|env|sys|::-|date|main|base64|java)\s*:"),
    # --- LDAP injection --------------------------------------------------------------------------
    Signature("ldapi-break", "ldapi", 5, r"\*\s*\)\s*\(|\)\s*\(\s*[|&!]|\(\s*[|&]\s*\(\s*\w+\s*[=~<>]|\)\s*\)\s*\(\s*\|"),
    Signature("ldapi-filter", "ldapi", 3, r"\(\s*(?:objectclass|uid|cn|sn|mail|userpassword|samaccountname|memberof)\s*[=~<>]\s*\*?\s*\)|\)\s*\(|\*\)\)|\(\|"),
    # --- NoSQL operators in values (keys are checked apart) --------------------------------------
    Signature("nosqli-json-op", "nosqli", 5, r"\{\s*['\"]?\$(?:ne|gt|gte|lt|lte|in|nin|regex|where|exists|expr|or|and|not|nor|elemmatch|function|accumulator)['\"]?\s*:"),
    Signature("nosqli-return", "nosqli", 5, r"['\"]\s*;\s*return\s+(?:true|false|\d|this\b|\w+\s*==)|['\"]\s*\|\|\s*['\"]?1['\"]?\s*==\s*['\"]?1"),
    Signature("nosqli-js", "nosqli", 4, r"\bthis\s*\.\s*\w+\s*(?:==|!=|\.match\s*\()|;\s*return\s+(?:true|false|\w+\s*==)|\|\|\s*['\"]?1['\"]?\s*==\s*['\"]?1|\bdb\s*\.\s*\w+\s*\.\s*(?:find|drop|remove|insert)|\bsleep\s*\(\s*\d+\s*\)\s*;?\s*(?:var|return)?"),
    # --- XXE in any value or body ------------------------------------------------------------------
    Signature("xxe-entity", "xxe", 5, r"<!ENTITY\s+(?:%\s*)?[\w.-]+\s+(?:SYSTEM|PUBLIC)\b|<!ENTITY\s+%|xi:include|xmlns:xi\s*=|SYSTEM\s+['\"](?:file|http|https|ftp|php|expect|jar|netdoc|gopher)\s*:"),
    # Any entity declared in a request: a DTD with entities is how XXE and billion laughs begin.
    Signature("xxe-entity-decl", "xxe", 2, r"<!ENTITY\s"),
    Signature("xxe-doctype", "xxe", 3, r"<!DOCTYPE\s+\w+\s*(?:\[|SYSTEM|PUBLIC)"),
    # A DTD with an internal subset in a JSON or form value: XML smuggled to a parser behind the API.
    Signature("xxe-doctype-in-value", "xxe", 5, r"^\s*<!DOCTYPE\s+\w+\s*\["),
    # --- terminal escape sequences (CSI, OSC): rewrite what an operator sees in a log or console --
    Signature("escape-sequence", "escape", 5, r"\x1b(?:\[[0-9;?]{0,20}[ -/]{0,2}[@-~]|\][0-9]{0,4};)"),
    # --- CRLF / header injection (the caller decides where a newline may be legitimate) ---------
    Signature("crlf-header", "crlf", 5, r"[\r\n][^\S\r\n]*(?:set-cookie|location|content-(?:type|length|disposition)|x-[\w-]+|host|refresh|access-control-[\w-]+|transfer-encoding)\s*:"),
    Signature("crlf-http", "crlf", 5, r"[\r\n][^\S\r\n]*HTTP/\d|[\r\n][^\S\r\n]*<(?:html|script)"),
)

SIGNATURE_BY_ID = {s.id: s for s in SIGNATURES}
