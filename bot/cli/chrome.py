"""The console's own words (its chrome); everything the bot says comes from the handlers and
the message catalog."""

from __future__ import annotations

from typing import Final

from bot.i18n import Lang

CHROME: Final[dict[Lang, dict[str, str]]] = {
    "zh": {
        "user_name": "控制台用户",
        "coordinator": "督查室",
        "banner_units": "督办控制台 · 您是{units}的联络员。",
        "banner_coordinator": "督办控制台 · 您是督查室协调人。",
        "banner": "{who}发送 /help 查看命令,输入字母(a、b…)按下按钮,quit 退出。",
        "banner_kept": "本次加入{unit};此前的单位都保留着(/leave 可退出其中一个)。",
        "banner_commands": (
            "控制台命令::as 单位 以该单位联络员身份操作(可累加多个单位),:coordinator 切换为"
            "协调人,:who 查看控制台的人,:file 路径 发送照片或文件(如报送时的佐证)。"
        ),
        "files_at": "机器人发来的图片和文件保存在 {folder}",
        "draft": (
            "(您有一份尚未提交的报送草稿:任务 {task},停在“{step}”这一步。接着输入即可继续,"
            "/report {task} 重新开始,/cancel 放弃。)"
        ),
        "draft_return": "(您有一份尚未填完的退回理由。接着输入理由即可,/cancel 放弃。)",
        "step.status": "选择状态",
        "step.percent": "填写进度",
        "step.target": "填写指标",
        "step.text": "文字说明",
        "step.preview": "确认提交",
        "step.reason": "退回理由",
        "edited": "(更新)",
        "notice": "(提示)",
        "alert": "(提醒)",
        "photo": "[图片]",
        "document": "[文件]",
        "to_chat": "(发往 {chat})",
        "to_person": "→ {who}:",
        "switched": "(现在由 {who} 使用控制台)",
        "while_away": "(您不在时收到 {count} 条消息:)",
        "people": "控制台的人(* 为当前):",
        "no_reply": "(机器人没有回复)",
        "unanswered": "(按钮未得到确认)",
        "no_buttons": "(当前没有可按的按钮)",
        "bad_button": "(没有按钮 {n},可选 a–{last};要把 {n} 作为文字发送,请输入 '{n})",
        "link_button": "(链接:{url})",
        "no_file": "(无法发送文件:{reason})",
        "bad_command": (
            "(未知的控制台命令 {command};可用::as 单位、:coordinator、:who、:file 路径)"
        ),
        "unknown_unit": "(没有名为“{unit}”的单位;duban units 列出全部单位)",
        "collective": "({unit} 是单位集合,请选择其中的一个成员单位)",
        "bye": "再见。",
    },
    "en": {
        "user_name": "Console user",
        "coordinator": "Coordination office",
        "banner_units": "Duban console · you are the liaison of {units}.",
        "banner_coordinator": "Duban console · you are a coordinator.",
        "banner": (
            "{who} Type /help for commands, a letter (a, b, …) to press a button, quit to leave."
        ),
        "banner_kept": "{unit} added; your earlier units are kept (/leave drops one).",
        "banner_commands": (
            "Console commands: :as UNIT acts as that unit's liaison (units add up), :coordinator "
            "switches to the coordinator, :who lists the console's people, :file PATH sends a "
            "photo or file (e.g. evidence for a report)."
        ),
        "files_at": "Pictures and files from the bot are saved in {folder}",
        "draft": (
            "(You have an unsubmitted report draft: task {task}, at the step “{step}”. Type to "
            "go on, /report {task} starts over, /cancel drops it.)"
        ),
        "draft_return": (
            "(You have an unfinished return reason. Type it to go on; /cancel drops it.)"
        ),
        "step.status": "status",
        "step.percent": "progress",
        "step.target": "targets",
        "step.text": "description",
        "step.preview": "confirm",
        "step.reason": "return reason",
        "edited": "(edited)",
        "notice": "(notice)",
        "alert": "(alert)",
        "photo": "[photo]",
        "document": "[file]",
        "to_chat": "(to {chat})",
        "to_person": "→ {who}:",
        "switched": "({who} is at the console now)",
        "while_away": "(Received while you were away: {count})",
        "people": "The console's people (* is at the console):",
        "no_reply": "(no reply from the bot)",
        "unanswered": "(the button press was not acknowledged)",
        "no_buttons": "(there are no buttons to press)",
        "bad_button": "(no button {n}; choose a–{last}, or type '{n} to send {n} as text)",
        "link_button": "(link: {url})",
        "no_file": "(cannot send the file: {reason})",
        "bad_command": (
            "(unknown console command {command}; try :as UNIT, :coordinator, :who, :file PATH)"
        ),
        "unknown_unit": "(no unit named “{unit}”; duban units lists them all)",
        "collective": "({unit} is a collective: pick one of its member units)",
        "bye": "Bye.",
    },
}
